//! Stage 3, losses: distances and metric losses (later reconstruction and KL terms).

pub mod distance;
pub mod triplet;

pub use triplet::{TripletLoss, TripletOutput};
