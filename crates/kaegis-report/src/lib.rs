//! kaegis-report: turns findings into reports for people and machines.
//!
//! - [`terminal`]: grouped by file and object, the offending line shown,
//!   colours (as ANSI codes; the binary strips them when not on a TTY);
//! - [`json`]: the stable, versioned JSON report (`kaegis.dev/report/v1`);
//! - [`sarif`]: SARIF 2.1.0 for code-scanning tools;
//! - [`markdown`]: a compact summary for pull-request comments;
//! - [`html`]: one self-contained page with scores, charts and a table of
//!   findings to sort and filter;
//! - [`policyreport`]: `wgpolicyk8s.io/v1alpha2` PolicyReports;
//! - [`junit`]: JUnit XML, one test per object and applicable check;
//! - [`baseline`]: only what is new against a saved JSON report.
//!
//! Reporters depend on kaegis-core only, never on inputs or checks: they see
//! findings, diagnostics and check metadata, whatever produced them.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod baseline;
pub mod html;
pub mod json;
pub mod junit;
pub mod kube_bench;
pub mod markdown;
pub mod policyreport;
pub mod sarif;
pub mod terminal;

use std::collections::BTreeMap;

use kaegis_core::{CheckMeta, Diagnostic, DiagnosticLevel, Finding, Location, ObjectId, Severity};

/// One object a scan checked.
#[derive(Clone, Debug)]
pub struct Checked {
    /// Its identity.
    pub object: ObjectId,
    /// Where it starts.
    pub location: Location,
}

/// A source line as reports show it, with the value of a credential-like
/// key (`secret:`, `password:`, `token:`, `client-key-data:`…) replaced by
/// `<redacted>`: excerpts of a manifest, a kubeconfig or an
/// EncryptionConfiguration must not carry the secrets they hold. Keys that
/// only name or locate a secret (`secretName`, `tls-private-key-file`) are
/// kept.
pub fn redact_line(line: &str) -> std::borrow::Cow<'_, str> {
    let Some((key_part, value)) = line.split_once(':') else {
        return line.into();
    };
    let key = key_part
        .trim_start()
        .trim_start_matches("- ")
        .trim()
        .trim_matches(['"', '\'']);
    let value_trim = value.trim();
    if key.is_empty() || key.contains(' ') || value_trim.is_empty() || value.starts_with("//") {
        return line.into();
    }
    let k = key.to_ascii_lowercase();
    let sensitive = [
        "secret",
        "password",
        "passwd",
        "token",
        "private",
        "credential",
        "apikey",
        "api_key",
        "api-key",
        "key-data",
    ]
    .iter()
    .any(|w| k.contains(w));
    let locates = [
        "name", "ref", "file", "path", "ttl", "mode", "url", "type", "provider",
    ]
    .iter()
    .any(|w| k.ends_with(w));
    if !sensitive || locates || value_trim.starts_with(['{', '[', '|', '>', '&', '*']) {
        return line.into();
    }
    format!("{key_part}: <redacted>").into()
}

/// The group an object's findings are listed under in reports for people:
/// its file, or for an object read from a cluster (no file) its namespace
/// (`namespace shop`) or `cluster-scoped`.
pub fn source_group(file: Option<&std::path::Path>, object: &ObjectId) -> String {
    match (file, &object.namespace) {
        (Some(p), _) => p.display().to_string(),
        (None, Some(ns)) => format!("namespace {ns}"),
        (None, None) => "cluster-scoped".to_owned(),
    }
}

/// Everything a reporter needs about one scan.
#[derive(Debug, Default)]
pub struct Report {
    /// Findings, in file, document, line order.
    pub findings: Vec<Finding>,
    /// Notes and input errors.
    pub diagnostics: Vec<Diagnostic>,
    /// The checks that ran.
    pub checks: Vec<&'static CheckMeta>,
    /// Files read.
    pub files: usize,
    /// Objects checked.
    pub objects: usize,
    /// The objects checked and where each starts, in file order (reporters
    /// that list passing tests need them; may be empty when a caller only
    /// counts).
    pub checked: Vec<Checked>,
    /// Objects checked, per namespace as [`namespace_group`] names them
    /// (the HTML report scores namespaces with it; empty when the producer
    /// of the report does not count them).
    pub objects_by_namespace: BTreeMap<String, usize>,
    /// Findings waived by a `kaegis.dev/ignore` annotation or exempted by
    /// the config file.
    pub suppressed: usize,
    /// Findings left out because the baseline (`--baseline`) accepts them.
    pub baselined: usize,
    /// The profile name.
    pub profile: String,
    /// The config file applied, if any.
    pub config: Option<std::path::PathBuf>,
    /// The Pod Security Standards version (`1.<minor>`).
    pub pss_minor: u32,
    /// The text of files whose names are not paths on this machine (a
    /// node's files read under `kaegis node --root`, named as on the node),
    /// for reporters that show excerpts; other files are read from disk.
    pub texts: BTreeMap<std::sync::Arc<std::path::Path>, std::sync::Arc<str>>,
}

impl Report {
    /// Sorts findings and diagnostics into a stable order.
    pub fn sort(&mut self) {
        // Objects read from a cluster have no file: they are ordered by
        // namespace, kind and name (their positions are within each one's
        // own JSON text, and mean nothing across objects).
        let live = |f: &Finding| {
            f.location.file.is_none().then(|| {
                (
                    f.object.namespace.clone(),
                    f.object.kind.clone(),
                    f.object.name.clone(),
                )
            })
        };
        self.findings.sort_by(|a, b| {
            (
                &a.location.file,
                a.location.document,
                live(a),
                a.location.pos,
                a.check.code,
                &a.path,
            )
                .cmp(&(
                    &b.location.file,
                    b.location.document,
                    live(b),
                    b.location.pos,
                    b.check.code,
                    &b.path,
                ))
        });
        self.checked.sort_by(|a, b| a.location.cmp(&b.location));
        self.diagnostics
            .sort_by(|a, b| (&a.file, a.pos, a.level).cmp(&(&b.file, b.pos, b.level)));
    }

    /// Number of findings of each severity, lowest first.
    pub fn counts(&self) -> [usize; 5] {
        let mut c = [0; 5];
        for f in &self.findings {
            c[f.severity as usize] += 1;
        }
        c
    }

    /// Number of input errors.
    pub fn input_errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.level == DiagnosticLevel::Error)
            .count()
    }

    /// True when some finding is at or above `threshold`.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= threshold)
    }
}

/// The namespace a report files an object under: a Namespace's own name
/// (its findings are about that namespace), `(cluster)` for other
/// cluster-scoped objects, its `metadata.namespace`, or `(not set)` when the
/// manifest leaves it to whoever runs `kubectl apply -n`. Real namespace
/// names cannot contain parentheses, so the two placeholders never clash.
pub fn namespace_group(id: &ObjectId) -> &str {
    if id.kind == "Namespace" && id.api_version == "v1" {
        &id.name
    } else if id.is_cluster_scoped() {
        CLUSTER_GROUP
    } else {
        id.namespace.as_deref().unwrap_or(UNSET_GROUP)
    }
}

/// [`namespace_group`] of cluster-scoped objects.
pub const CLUSTER_GROUP: &str = "(cluster)";
/// [`namespace_group`] of namespaced objects without `metadata.namespace`.
pub const UNSET_GROUP: &str = "(not set)";

/// The version of kaegis that wrote a report.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod redact_tests {
    use super::redact_line;

    #[test]
    fn credentials_are_redacted_and_names_kept() {
        assert_eq!(
            redact_line("        secret: c2VjcmV0"),
            "        secret: <redacted>"
        );
        assert_eq!(
            redact_line("    client-key-data: LS0t"),
            "    client-key-data: <redacted>"
        );
        assert_eq!(
            redact_line("  - password: hunter2"),
            "  - password: <redacted>"
        );
        assert_eq!(
            redact_line("  \"token\": \"abc\","),
            "  \"token\": <redacted>"
        );
        for kept in [
            "      secretName: db",
            "    - --tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
            "  privileged: true",
            "  tokenTTL: 1h",
            "  secrets:",
            "  image: registry.example.com/app:1.0",
        ] {
            assert_eq!(redact_line(kept), kept);
        }
    }
}
