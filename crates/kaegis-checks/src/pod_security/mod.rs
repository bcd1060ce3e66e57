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

// Hardening beyond the Pod Security Standards (KG130–KG139).
pub mod automount_service_account_token;
pub mod container_runtime_socket;
pub mod daemonset_host_access;
pub mod default_service_account;
pub mod host_path_writable;
pub mod read_only_root_filesystem;
pub mod run_as_group_root;
pub mod sandbox_runtime_class;
pub mod sensitive_host_path;
pub mod share_process_namespace;

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
    &read_only_root_filesystem::ReadOnlyRootFilesystem,
    &run_as_group_root::RunAsGroupRoot,
    &automount_service_account_token::AutomountServiceAccountToken,
    &default_service_account::DefaultServiceAccount,
    &daemonset_host_access::DaemonSetHostAccess,
    &sandbox_runtime_class::SandboxRuntimeClass,
    &host_path_writable::HostPathWritable,
    &container_runtime_socket::ContainerRuntimeSocket,
    &sensitive_host_path::SensitiveHostPath,
    &share_process_namespace::ShareProcessNamespace,
];

/// Profiles of a baseline control.
pub const BASELINE: &[Profile] = &[
    Profile::PssBaseline,
    Profile::PssRestricted,
    Profile::Cis,
    Profile::Production,
    Profile::Nsa,
];
/// Profiles of a restricted control.
/// (The CIS Kubernetes Benchmark's section 5.2 asks for the same controls.)
pub const RESTRICTED: &[Profile] = &[
    Profile::PssRestricted,
    Profile::Cis,
    Profile::Nsa,
    Profile::Production,
];

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
