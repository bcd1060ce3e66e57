//! The Pod Security Standards, baseline and restricted, control by control
//! and version by version, as Kubernetes' Pod Security Admission evaluates
//! them. Each control is one check; `--pss-version` selects the policy
//! version (the behaviour of every control at that Kubernetes minor).

pub mod allow_privilege_escalation;
pub mod apparmor;
pub mod baseline_capabilities;
pub mod host_namespaces;
pub mod host_path_volumes;
pub mod host_ports;
pub mod host_probes;
pub mod host_process;
pub mod privileged;
pub mod proc_mount;
pub mod proc_mount_restricted;
pub mod restricted_capabilities;
pub mod restricted_volume_types;
pub mod run_as_non_root;
pub mod run_as_user;
pub mod seccomp_baseline;
pub mod seccomp_restricted;
pub mod selinux;
pub mod sysctls;

use kaegis_core::{Check, Profile};

pub use crate::refs::{mitre, nsa, pss};

/// The checks of this area.
pub static CHECKS: &[&dyn Check] = &[
    &host_process::HostProcess,
    &host_namespaces::HostNamespaces,
    &privileged::Privileged,
    &baseline_capabilities::BaselineCapabilities,
    &host_path_volumes::HostPathVolumes,
    &host_ports::HostPorts,
    &host_probes::HostProbes,
    &apparmor::AppArmor,
    &selinux::SeLinux,
    &proc_mount::ProcMount,
    &seccomp_baseline::SeccompBaseline,
    &sysctls::Sysctls,
    &restricted_volume_types::RestrictedVolumeTypes,
    &allow_privilege_escalation::AllowPrivilegeEscalation,
    &run_as_non_root::RunAsNonRoot,
    &run_as_user::RunAsUser,
    &seccomp_restricted::SeccompRestricted,
    &restricted_capabilities::RestrictedCapabilities,
    &proc_mount_restricted::ProcMountRestricted,
];

/// Profiles of a baseline control.
pub const BASELINE: &[Profile] = &[
    Profile::PssBaseline,
    Profile::PssRestricted,
    Profile::Production,
    Profile::Nsa,
];
/// Profiles of a restricted control.
pub const RESTRICTED: &[Profile] = &[Profile::PssRestricted, Profile::Nsa];

/// True when a pod with this spec is exempt, at this version, from the
/// restricted controls that do not apply to Windows (from v1.25).
pub fn windows_exempt(pod: &kaegis_core::PodSpecView<'_>, minor: u32) -> bool {
    minor >= 25 && pod.is_windows()
}

/// True when a control relaxes for pods in their own user namespace
/// (`hostUsers: false`), as the non-root controls do from v1.35.
pub fn relaxed_for_user_namespace(
    pod: &kaegis_core::PodSpecView<'_>,
    ctx: &kaegis_core::Context,
) -> bool {
    ctx.pss_minor >= 35 && proc_mount::user_namespaced(pod)
}
