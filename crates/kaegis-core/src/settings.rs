//! Check parameters: what a team tells kaegis about its environment
//! (`.kaegis.yaml` → `parameters:`). Plain data with documented defaults;
//! the config loader fills it, checks read it through the
//! [`Context`](crate::Context).

use crate::check::LATEST_PSS_MINOR;

/// Every check parameter, with its default.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `image-registry`: registries (or registry/path prefixes) images may
    /// come from. Empty: the check is silent (nothing to compare against).
    pub allowed_registries: Vec<String>,
    /// `image-digest`: require images pinned by `@sha256:` digest.
    pub require_digest: bool,
    /// `image-digest` fixes: the digest to pin each image to, keyed by the
    /// image exactly as manifests write it (`nginx:1.25` →
    /// `sha256:<64 hex>`). Only images listed here get a fix.
    pub image_digests: std::collections::BTreeMap<String, String>,
    /// `image-pull-secrets`: registries that need credentials. Empty: every
    /// registry except the well-known public ones.
    pub private_registries: Vec<String>,
    /// `recommended-labels`: labels every workload must carry.
    pub required_labels: Vec<String>,
    /// `sandbox-runtime-class`: RuntimeClass names that sandbox a pod
    /// (gVisor, Kata Containers).
    pub sandbox_runtime_classes: Vec<String>,
    /// `sandbox-runtime-class`: namespaces whose pods are untrusted and must
    /// run sandboxed (pods labelled `kaegis.dev/untrusted: "true"` must too).
    pub untrusted_namespaces: Vec<String>,
    /// `deprecated-api`: the Kubernetes minor version (`1.<minor>`) the
    /// manifests must work on.
    pub target_minor: u32,
    /// `replicas`: the fewest replicas a Deployment or StatefulSet may have.
    pub min_replicas: i64,
    /// Credential detection: the Shannon entropy (bits per character) above
    /// which a value under a credential-like name is taken as real.
    pub min_secret_entropy: f64,
    /// `secret-rotation`: days a Secret may live before it must be rotated.
    pub secret_max_age_days: i64,
    /// Slugs of the custom (CEL) rules loaded, so waivers may name them.
    pub custom_rules: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            allowed_registries: Vec::new(),
            require_digest: true,
            image_digests: std::collections::BTreeMap::new(),
            private_registries: Vec::new(),
            required_labels: vec![
                "app.kubernetes.io/name".to_owned(),
                "app.kubernetes.io/instance".to_owned(),
            ],
            sandbox_runtime_classes: vec!["gvisor".to_owned(), "kata".to_owned()],
            untrusted_namespaces: Vec::new(),
            target_minor: LATEST_PSS_MINOR,
            min_replicas: 2,
            min_secret_entropy: 3.0,
            secret_max_age_days: 90,
            custom_rules: Vec::new(),
        }
    }
}

/// True for a `sha256:` digest with 64 lower-case hex digits.
pub fn is_sha256_digest(d: &str) -> bool {
    d.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}
