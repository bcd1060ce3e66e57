//! kaegis-cluster: audit a live cluster through the Kubernetes API (issue 6).
//!
//! - [`fetch`]: list every kind the catalog needs, with pagination,
//!   retries and a timeout; Secrets as metadata only;
//! - [`audit`]: the catalog over a whole cluster, controlled objects
//!   rolled up to their owner;
//! - [`versions`]: the Kubernetes releases kaegis knows (support and
//!   end-of-life dates) and published Kubernetes CVEs with their fixed
//!   versions, to judge a server's version.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod audit;
pub mod fetch;
pub mod versions;
