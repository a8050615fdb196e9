//! Stage 3, losses: distances, metric losses (triplet with miners, SupCon, center), the
//! unlabelled contrastive term (NT-Xent), the neighbour term and the ELBO's terms (reconstruction, Gaussian and
//! mixture log-densities, KL).

pub mod center;
pub mod contrast;
pub mod distance;
pub mod kl;
pub mod metric;
pub mod neighbours;
pub mod reconstruction;
pub mod supcon;
pub mod triplet;

pub use metric::{MetricLoss, MetricOutput};
pub use triplet::{TripletLoss, TripletOutput};
