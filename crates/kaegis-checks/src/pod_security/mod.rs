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

use kaegis_core::{Profile, Reference};

/// The Pod Security Standards page.
pub const PSS_URL: &str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";

/// Profiles of a baseline control.
pub const BASELINE: &[Profile] = &[
    Profile::PssBaseline,
    Profile::PssRestricted,
    Profile::Production,
];
/// Profiles of a restricted control.
pub const RESTRICTED: &[Profile] = &[Profile::PssRestricted];

/// A reference to one Pod Security Standards control.
pub const fn pss(control: &'static str) -> Reference {
    Reference {
        source: "PSS",
        id: control,
        url: Some(PSS_URL),
    }
}

/// A reference to a MITRE ATT&CK technique.
pub const fn mitre(id: &'static str) -> Reference {
    Reference {
        source: "MITRE",
        id,
        url: None,
    }
}

/// A reference to a section of the NSA/CISA Kubernetes Hardening Guide.
pub const fn nsa(section: &'static str) -> Reference {
    Reference {
        source: "NSA",
        id: section,
        url: None,
    }
}

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
