//! kaegis-admission: the catalog at the cluster's door.
//!
//! - [`review`]: admission.k8s.io/v1 AdmissionReview requests and responses;
//! - [`decide`]: per request, the checks of each mode (enforce, warn, audit)
//!   from the config and the namespace's labels, exemptions, and the answer;
//! - [`mutate`]: secure defaults as a JSON Patch, never overriding the user;
//! - [`server`]: HTTPS with certificate reload, health, metrics, graceful
//!   shutdown;
//! - [`cache`]: the cluster around a request, from kube-rs watches;
//! - [`certs`]: a CA and serving certificate for the webhook.
//!
//! The same checks as `kaegis scan` decide here, on the object the API
//! server sends, in microseconds.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cache;
pub mod certs;
pub mod decide;
pub mod mutate;
pub mod review;
pub mod server;

pub use decide::{Admission, ClusterView, Decision};
