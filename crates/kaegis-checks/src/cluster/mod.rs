//! Checks of the `cluster` area: the cluster as a whole, from what only a
//! live cluster tells (its version, what an anonymous client can read).
//! `kaegis cluster` adds the objects these checks read (`kaegis.dev/v1`
//! `ClusterVersion` from `/version`, `AnonymousAccess` from its probe).

pub mod anonymous_api_access;
pub mod kubelet_version_skew;
pub mod kubernetes_version;
pub mod versions;

use kaegis_core::Check;

/// The checks of this area.
pub static CHECKS: &[&dyn Check] = &[
    &kubernetes_version::KubernetesVersion,
    &kubelet_version_skew::KubeletVersionSkew,
    &anonymous_api_access::AnonymousApiAccess,
];
