//! Stage 4, training: the step-wise loop, its batches, the schedule and each step's objective,
//! and the events it reports.

pub mod bench;
pub mod curves;
pub mod ema;
pub mod embed;
pub mod events;
pub mod neighbours;
pub mod objective;
pub mod pseudo;
pub mod sampler;
pub mod schedule;
pub mod speed;
pub mod trainer;

pub use curves::Curves;
pub use events::{
    AccuracyPoint, EmbeddedSet, EpochRecord, Flow, Observer, Readback, Silent, TrainEvent,
    EMBED_CHUNK,
};
pub use trainer::{steps_per_epoch, train, TrainError, Trained};
