//! Stage 2, model: encoders (later decoders and priors).

pub mod encoder;

pub use encoder::{MlpEncoder, MlpEncoderConfig};
