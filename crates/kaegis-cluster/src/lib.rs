//! kaegis-cluster: audit a live cluster through the Kubernetes API (issue 6).
//!
//! - [`fetch`]: list every kind the catalog needs, with pagination,
//!   retries and a timeout; Secrets as metadata only;
//! - [`audit`]: the catalog over a whole cluster, controlled objects
//!   rolled up to their owner;
//! - [`anonymous`]: what a client without credentials can read;
//! - [`reports`]: the findings written back as PolicyReports
//!   (`--write-reports`), stale ones cleaned up;
//!
//! The server's version is judged by the catalog's `kubernetes-version`
//! check (kaegis-checks `cluster::versions` holds the release and CVE table)
//! on a `ClusterVersion` object the audit adds.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod anonymous;
pub mod audit;
pub mod fetch;
pub mod reports;
