//! kaegis-checks: the catalog. One check per file under `<area>/<slug>.rs`,
//! each with its documentation (What / Why / How to fix), references and
//! fixtures; [`CATALOG`] lists them all.
//!
//! Checks depend on kaegis-core only: they never know whether an object came
//! from a file, the API server or an admission request.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod macros;
pub mod pod_security;

use kaegis_core::Check;

/// Every check kaegis has, in code order.
pub static CATALOG: &[&dyn Check] = &[
    &pod_security::host_process::HostProcess,
    &pod_security::host_namespaces::HostNamespaces,
    &pod_security::privileged::Privileged,
    &pod_security::baseline_capabilities::BaselineCapabilities,
    &pod_security::host_path_volumes::HostPathVolumes,
    &pod_security::host_ports::HostPorts,
    &pod_security::host_probes::HostProbes,
    &pod_security::apparmor::AppArmor,
    &pod_security::selinux::SeLinux,
    &pod_security::proc_mount::ProcMount,
    &pod_security::seccomp_baseline::SeccompBaseline,
    &pod_security::sysctls::Sysctls,
    &pod_security::restricted_volume_types::RestrictedVolumeTypes,
    &pod_security::allow_privilege_escalation::AllowPrivilegeEscalation,
    &pod_security::run_as_non_root::RunAsNonRoot,
    &pod_security::run_as_user::RunAsUser,
    &pod_security::seccomp_restricted::SeccompRestricted,
    &pod_security::restricted_capabilities::RestrictedCapabilities,
    &pod_security::proc_mount_restricted::ProcMountRestricted,
];

/// Finds a check by slug or code (case-insensitive for codes).
pub fn find(name: &str) -> Option<&'static dyn Check> {
    CATALOG
        .iter()
        .copied()
        .find(|c| c.meta().slug == name || c.meta().code.eq_ignore_ascii_case(name))
}
