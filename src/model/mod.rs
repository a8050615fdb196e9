//! Stage 2, model: encoders, decoders, priors, and the model that holds them.

pub mod decoder;
pub mod encoder;
pub mod init;
pub mod lab_model;
pub mod prior;
pub mod weights;

pub use init::HostRng;
pub use lab_model::{Encoded, LabModel};
