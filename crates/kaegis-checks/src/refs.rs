//! Reference constructors shared by every area: the Pod Security Standards,
//! the CIS Kubernetes Benchmark, the NSA/CISA Kubernetes Hardening Guide,
//! MITRE ATT&CK (containers matrix) and the Kubernetes documentation.

use kaegis_core::{Profile, Reference};

/// The Pod Security Standards page.
pub const PSS_URL: &str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";

/// A reference to one Pod Security Standards control.
pub const fn pss(control: &'static str) -> Reference {
    Reference {
        source: "PSS",
        id: control,
        url: Some(PSS_URL),
    }
}

/// A reference to a MITRE ATT&CK technique (`T1611`).
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

/// A reference to a CIS Kubernetes Benchmark recommendation (`5.1.1`).
pub const fn cis(id: &'static str) -> Reference {
    Reference {
        source: "CIS",
        id,
        url: None,
    }
}

/// A reference to a page of the Kubernetes documentation: `id` names the
/// practice, `url` the page.
pub const fn k8s(id: &'static str, url: &'static str) -> Reference {
    Reference {
        source: "K8S",
        id,
        url: Some(url),
    }
}

/// Security hardening beyond the Pod Security Standards.
pub const HARDENING: &[Profile] = &[Profile::Production, Profile::Nsa];
/// Production readiness only.
pub const PRODUCTION: &[Profile] = &[Profile::Production];
/// The CIS Kubernetes Benchmark alone: its Manual recommendations, which
/// need judgement the hardening profiles do not presume.
pub const CIS: &[Profile] = &[Profile::Cis];

/// The CIS Kubernetes Benchmark's policy section, and the hardening profiles.
pub const CIS_HARDENING: &[Profile] = &[Profile::Cis, Profile::Production, Profile::Nsa];
