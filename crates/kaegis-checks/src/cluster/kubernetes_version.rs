//! KG951: The cluster must run a supported, patched Kubernetes version.
use kaegis_core::{Area, Context, JsonPath, Node, Object, Severity, Violation};

use super::versions::{CveSeverity, Date, ReleaseMatch, Version, assess, table};
use crate::macros::declare_check;
use crate::refs::{HARDENING, k8s, mitre};

declare_check! {
    /// ## What
    /// Judges the API server's version (`kaegis cluster` adds it as a
    /// `ClusterVersion` object from `/version`; a dump can carry one) against
    /// kaegis's embedded table of Kubernetes releases and published
    /// Kubernetes CVEs, whose date every message prints: a series past its
    /// end of life (by date, even when the table is older than today), a
    /// series more than two minors behind the newest, a known CVE that a
    /// newer patch of the series fixes, and a newer patch of the series.
    /// CVEs that no release fixes are named in the version's message only
    /// when something else is wrong; they need a mitigation, not an upgrade.
    ///
    /// ## Why
    /// Outside its roughly fourteen months of support a Kubernetes release
    /// gets no security fixes: every CVE published after its end of life
    /// stays open. Within support, the fixes ship as patch releases: a
    /// cluster that does not take them keeps vulnerabilities that are public,
    /// rated and often exploited (API server privilege escalation, kubelet
    /// path traversal, secret-mount bypasses).
    ///
    /// ## How to fix
    /// Upgrade the control plane, then the nodes, one minor at a time, to
    /// the newest patch of a supported series (managed clusters: the
    /// provider's upgrade). Keep within two minors of the newest release so
    /// that upgrades stay small.
    /// ```yaml
    /// apiVersion: kaegis.dev/v1
    /// kind: ClusterVersion
    /// spec:
    ///   gitVersion: v1.37.2
    /// ```
    pub struct KubernetesVersion {
        code: "KG951",
        slug: "kubernetes-version",
        title: "The cluster must run a supported, patched Kubernetes version",
        severity: Severity::High,
        area: Area::Cluster,
        kinds: &["ClusterVersion"],
        profiles: HARDENING,
        references: &[
            mitre("T1190 Exploit Public-Facing Application"),
            k8s("Kubernetes releases and support", "https://kubernetes.io/releases/"),
            k8s("Official CVE feed", "https://kubernetes.io/docs/reference/issues-security/official-cve-feed/"),
        ],
    }
}

fn severity(s: CveSeverity) -> &'static str {
    match s {
        CveSeverity::Low => "low",
        CveSeverity::Medium => "medium",
        CveSeverity::High => "high",
        CveSeverity::Critical => "critical",
    }
}

impl KubernetesVersion {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if obj.group() != "kaegis.dev" {
            return;
        }
        let path = JsonPath::root().keys(&["spec", "gitVersion"]);
        let Some(text) = obj
            .root
            .get_path(&["spec", "gitVersion"])
            .and_then(Node::as_str)
        else {
            return;
        };
        let asof = format!("Kubernetes release data as of {}", table().source_date);
        let version = match Version::parse(text) {
            Ok(v) => v,
            Err(e) => {
                out.push(Violation::new(
                    path,
                    format!("cannot judge the version: {e}"),
                ));
                return;
            }
        };
        let a = assess(&version, Date::today());
        let newest = table()
            .newest()
            .map(|r| r.latest_patch.to_string())
            .unwrap_or_default();
        match a.release {
            ReleaseMatch::Known(r) if a.end_of_life => out.push(Violation::new(
                path.clone(),
                format!(
                    "Kubernetes {version} is past its end of life ({} ended {}): no security fixes; upgrade towards {newest} ({asof})",
                    r.minor, r.end_of_life_date
                ),
            )),
            ReleaseMatch::OlderThanTable => out.push(Violation::new(
                path.clone(),
                format!("Kubernetes {version} is older than every release kaegis tracks and long out of support; upgrade towards {newest} ({asof})"),
            )),
            _ => {}
        }
        if a.minors_behind > 2 && !a.end_of_life {
            out.push(Violation::new(
                path.clone(),
                format!(
                    "Kubernetes {version} is {} minor releases behind the newest ({newest}) ({asof})",
                    a.minors_behind
                ),
            ));
        }
        for e in &a.cves {
            let fix = match e.fixed_in {
                Some(v) => format!("fixed in {v}"),
                None => "no fix in this series: upgrade to a newer one".to_owned(),
            };
            out.push(Violation::new(
                path.clone(),
                format!(
                    "Kubernetes {version} is affected by {} ({} severity): {}; {fix} ({asof})",
                    e.cve.id,
                    severity(e.cve.severity),
                    e.cve.summary
                ),
            ));
        }
        if a.cves.is_empty()
            && !a.end_of_life
            && let Some(p) = a.newer_patch
        {
            out.push(Violation::new(
                path,
                format!("Kubernetes {version} has a newer patch release, {p} ({asof})"),
            ));
        }
    }
}
