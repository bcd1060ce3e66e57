//! kaegis-cluster: audit a live cluster through the Kubernetes API (issue 6).
//!
//! - [`versions`]: the Kubernetes releases kaegis knows (support and
//!   end-of-life dates) and published Kubernetes CVEs with their fixed
//!   versions, to judge a server's version.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod versions;
