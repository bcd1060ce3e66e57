//! KG608: Pod Security Admission labels must hold valid values.
use kaegis_core::{Area, Context, JsonPath, Node, Object, Severity, Violation};

use super::{CIS_HARDENING, PSA_DOC, cis, is_namespace};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// The Pod Security Admission labels of a Namespace must hold values
    /// Kubernetes accepts, exactly as written (case matters):
    /// - `pod-security.kubernetes.io/enforce`, `.../audit` and `.../warn`:
    ///   `privileged`, `baseline` or `restricted`;
    /// - `pod-security.kubernetes.io/enforce-version`, `.../audit-version`
    ///   and `.../warn-version`: `latest` or `v1.<minor>` (`v1.30`).
    ///
    /// Absent labels are not reported here (see
    /// `namespace-pod-security-labels`). `kube-system` is checked too: an
    /// invalid value is invalid everywhere.
    ///
    /// ## Why
    /// Pod Security Admission rejects the creation of a Namespace whose
    /// labels hold an invalid value, and an update that changes them to one:
    /// the manifest cannot be applied. Where such a namespace already
    /// exists (its labels predate the admission plugin, or it was created
    /// while the plugin was off), an invalid `enforce` level is evaluated as
    /// `restricted` — it fails closed, and pods that were meant to be
    /// allowed are rejected — while an invalid `audit` or `warn` level is
    /// evaluated as `privileged`, silently turning the audit or warning off;
    /// an invalid version is evaluated as `latest`. In every case the
    /// namespace does not get the policy its author wrote.
    ///
    /// ## How to fix
    /// ```yaml
    /// metadata:
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: baseline
    ///     pod-security.kubernetes.io/enforce-version: v1.33
    ///     pod-security.kubernetes.io/warn: restricted
    /// ```
    pub struct NamespacePodSecurityLevel {
        code: "KG608",
        slug: "namespace-pod-security-level",
        title: "Pod Security Admission labels must hold valid values",
        severity: Severity::Medium,
        area: Area::Namespaces,
        kinds: &["Namespace"],
        profiles: CIS_HARDENING,
        references: &[cis("5.2.1"), PSA_DOC],
    }
}

const LEVEL_LABELS: [&str; 3] = [
    "pod-security.kubernetes.io/enforce",
    "pod-security.kubernetes.io/audit",
    "pod-security.kubernetes.io/warn",
];
const VERSION_LABELS: [&str; 3] = [
    "pod-security.kubernetes.io/enforce-version",
    "pod-security.kubernetes.io/audit-version",
    "pod-security.kubernetes.io/warn-version",
];

/// A valid level, as Pod Security Admission parses it.
fn valid_level(v: &str) -> bool {
    matches!(v, "privileged" | "baseline" | "restricted")
}

/// A valid version: `latest` or `v1.<minor>` without leading zeros.
fn valid_version(v: &str) -> bool {
    if v == "latest" {
        return true;
    }
    let Some(minor) = v.strip_prefix("v1.") else {
        return false;
    };
    !minor.is_empty()
        && minor.bytes().all(|b| b.is_ascii_digit())
        && (minor == "0" || !minor.starts_with('0'))
}

impl NamespacePodSecurityLevel {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !is_namespace(obj) {
            return;
        }
        let Some(labels) = obj.root.get_path(&["metadata", "labels"]) else {
            return;
        };
        for e in labels.entries() {
            let key = &*e.key;
            let (valid, expected): (fn(&str) -> bool, &str) = if LEVEL_LABELS.contains(&key) {
                (valid_level, "privileged, baseline or restricted")
            } else if VERSION_LABELS.contains(&key) {
                (valid_version, "latest or v1.<minor>")
            } else {
                continue;
            };
            // Label values are strings; an unquoted null or number is
            // rejected by the API server before Pod Security sees it, and
            // reported here as the same mistake.
            let value = e.value.as_str().unwrap_or_default();
            if valid(value) || is_shadowed(labels, key, e) {
                continue;
            }
            out.push(Violation::new(
                JsonPath::root().keys(&["metadata", "labels"]).key(key),
                format!(
                    "namespace {} sets {key}: {value:?}, which Pod Security Admission does not accept (expected {expected})",
                    obj.id.name
                ),
            ));
        }
    }
}

/// True when a later entry repeats the key (the last one wins).
fn is_shadowed(labels: &Node, key: &str, entry: &kaegis_core::Entry) -> bool {
    labels
        .entry(key)
        .is_some_and(|last| !std::ptr::eq(last, entry))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for ok in ["latest", "v1.0", "v1.9", "v1.33"] {
            assert!(valid_version(ok), "{ok}");
        }
        for bad in ["", "1.33", "v1.", "v1.033", "v2.1", "Latest", "v1.3x"] {
            assert!(!valid_version(bad), "{bad}");
        }
    }
}
