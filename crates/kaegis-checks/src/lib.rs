//! kaegis-checks: the catalog. One check per file under `<area>/<slug>.rs`,
//! each with its documentation (What / Why / How to fix), references and
//! fixtures; [`CATALOG`] lists them all.
//!
//! Checks depend on kaegis-core only: they never know whether an object came
//! from a file, the API server or an admission request.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cis;
pub mod component;
pub mod control_plane;
mod macros;
pub mod refs;

pub mod admission;
pub mod cluster;
pub mod etcd;
pub mod images;
pub mod kubelet;
pub mod namespaces;
pub mod network;
pub mod node_files;
pub mod pod_security;
pub mod policy;
pub mod rbac;
pub mod reliability;
pub mod secrets;
pub mod storage;

use std::sync::LazyLock;

use kaegis_core::Check;

/// Every check kaegis has, in code order.
pub static CATALOG: LazyLock<Vec<&'static dyn Check>> = LazyLock::new(|| {
    let mut all: Vec<&'static dyn Check> = [
        pod_security::CHECKS,
        images::CHECKS,
        secrets::CHECKS,
        rbac::CHECKS,
        network::CHECKS,
        namespaces::CHECKS,
        reliability::CHECKS,
        storage::CHECKS,
        admission::CHECKS,
        policy::CHECKS,
        cluster::CHECKS,
        kubelet::CHECKS,
        control_plane::CHECKS,
        node_files::CHECKS,
        etcd::CHECKS,
    ]
    .concat();
    all.sort_by_key(|c| c.meta().code);
    all
});

/// Finds a check by slug or code (case-insensitive for codes).
pub fn find(name: &str) -> Option<&'static dyn Check> {
    CATALOG
        .iter()
        .copied()
        .find(|c| c.meta().slug == name || c.meta().code.eq_ignore_ascii_case(name))
}
