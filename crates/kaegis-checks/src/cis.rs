//! The CIS Kubernetes Benchmark's node-level recommendations (sections 1
//! control plane, 2 etcd, 3 control plane configuration, 4 worker nodes;
//! version 1.12), each with whether the benchmark rates it Automated or
//! Manual, a short summary in our words, and — where kaegis does not check
//! it — why. Checks name the recommendations they implement in their
//! references (`cis("1.2.6")`); [`coverage`] joins the two, for the
//! coverage table in docs/cis-coverage.md and for `--format kube-bench-json`.

use kaegis_core::Check;

/// One recommendation.
#[derive(Debug, Clone, Copy)]
pub struct Recommendation {
    /// Its id (`1.2.6`).
    pub id: &'static str,
    /// Rated Automated (true) or Manual.
    pub automated: bool,
    /// What it asks, in our words.
    pub summary: &'static str,
    /// Why kaegis does not check it, when it does not.
    pub not_checked: Option<&'static str>,
}

const fn a(id: &'static str, summary: &'static str) -> Recommendation {
    Recommendation {
        id,
        automated: true,
        summary,
        not_checked: None,
    }
}

const fn m(id: &'static str, summary: &'static str) -> Recommendation {
    Recommendation {
        id,
        automated: false,
        summary,
        not_checked: None,
    }
}

const fn gap(id: &'static str, summary: &'static str, why: &'static str) -> Recommendation {
    Recommendation {
        id,
        automated: false,
        summary,
        not_checked: Some(why),
    }
}

/// The version of the benchmark the ids follow.
pub const BENCHMARK: &str = "CIS Kubernetes Benchmark v1.12";

/// Sections 1 to 4.
pub const RECOMMENDATIONS: &[Recommendation] = &[
    a("1.1.1", "API server manifest: mode 600 or stricter"),
    a("1.1.2", "API server manifest: owned by root:root"),
    a("1.1.3", "controller manager manifest: mode 600 or stricter"),
    a("1.1.4", "controller manager manifest: owned by root:root"),
    a("1.1.5", "scheduler manifest: mode 600 or stricter"),
    a("1.1.6", "scheduler manifest: owned by root:root"),
    a("1.1.7", "etcd manifest: mode 600 or stricter"),
    a("1.1.8", "etcd manifest: owned by root:root"),
    m("1.1.9", "CNI configuration files: mode 600 or stricter"),
    m("1.1.10", "CNI configuration files: owned by root:root"),
    a("1.1.11", "etcd data directory: mode 700 or stricter"),
    a("1.1.12", "etcd data directory: owned by etcd:etcd"),
    a("1.1.13", "admin.conf (and super-admin.conf): mode 600"),
    a(
        "1.1.14",
        "admin.conf (and super-admin.conf): owned by root:root",
    ),
    a("1.1.15", "scheduler.conf: mode 600 or stricter"),
    a("1.1.16", "scheduler.conf: owned by root:root"),
    a("1.1.17", "controller-manager.conf: mode 600 or stricter"),
    a("1.1.18", "controller-manager.conf: owned by root:root"),
    a("1.1.19", "PKI directory and files: owned by root:root"),
    m("1.1.20", "PKI certificates: mode 644 or stricter"),
    m("1.1.21", "PKI keys: mode 600"),
    m("1.2.1", "API server: anonymous authentication off"),
    a("1.2.2", "API server: no static token file"),
    m(
        "1.2.3",
        "API server: DenyServiceExternalIPs admission plugin",
    ),
    a(
        "1.2.4",
        "API server: client certificate and key for kubelets",
    ),
    a("1.2.5", "API server: CA for kubelets' serving certificates"),
    a("1.2.6", "API server: authorization mode not AlwaysAllow"),
    a("1.2.7", "API server: authorization mode includes Node"),
    a("1.2.8", "API server: authorization mode includes RBAC"),
    m("1.2.9", "API server: EventRateLimit admission plugin"),
    a("1.2.10", "API server: no AlwaysAdmit admission plugin"),
    m("1.2.11", "API server: AlwaysPullImages admission plugin"),
    a("1.2.12", "API server: ServiceAccount admission plugin"),
    a("1.2.13", "API server: NamespaceLifecycle admission plugin"),
    a("1.2.14", "API server: NodeRestriction admission plugin"),
    a("1.2.15", "API server: profiling off"),
    a("1.2.16", "API server: audit log path"),
    a("1.2.17", "API server: audit log kept 30 days"),
    a("1.2.18", "API server: 10 audit log backups"),
    a("1.2.19", "API server: audit log rotated at 100 MB"),
    m("1.2.20", "API server: request timeout as appropriate"),
    a("1.2.21", "API server: service account lookup on"),
    a("1.2.22", "API server: service account key file"),
    a("1.2.23", "API server: etcd client certificate and key"),
    a("1.2.24", "API server: serving certificate and key"),
    a("1.2.25", "API server: client CA file"),
    a("1.2.26", "API server: etcd CA file"),
    m("1.2.27", "API server: encryption provider config"),
    m("1.2.28", "encryption providers configured appropriately"),
    m("1.2.29", "API server: strong TLS cipher suites only"),
    a(
        "1.2.30",
        "API server: no service account token expiry extension",
    ),
    m("1.3.1", "controller manager: terminated pod GC threshold"),
    a("1.3.2", "controller manager: profiling off"),
    a(
        "1.3.3",
        "controller manager: per-controller service account credentials",
    ),
    a(
        "1.3.4",
        "controller manager: service account private key file",
    ),
    a("1.3.5", "controller manager: root CA file"),
    a(
        "1.3.6",
        "controller manager: RotateKubeletServerCertificate on",
    ),
    a("1.3.7", "controller manager: bound to 127.0.0.1"),
    a("1.4.1", "scheduler: profiling off"),
    a("1.4.2", "scheduler: bound to 127.0.0.1"),
    a("2.1", "etcd: client TLS certificate and key"),
    a("2.2", "etcd: client certificate authentication"),
    a("2.3", "etcd: no auto TLS"),
    a("2.4", "etcd: peer TLS certificate and key"),
    a("2.5", "etcd: peer certificate authentication"),
    a("2.6", "etcd: no peer auto TLS"),
    gap(
        "2.7",
        "etcd: a CA of its own, not the cluster's",
        "needs the certificates' contents compared (issuer of etcd's CA against the cluster CA); kaegis node does not read certificate contents yet",
    ),
    m(
        "3.1.1",
        "people do not authenticate with client certificates",
    ),
    gap(
        "3.1.2",
        "service account tokens not used by people",
        "a matter of practice: no configuration tells who uses a token",
    ),
    gap(
        "3.1.3",
        "bootstrap tokens not used by people",
        "a matter of practice: no configuration tells who uses a token",
    ),
    m("3.2.1", "a minimal audit policy exists"),
    gap(
        "3.2.2",
        "the audit policy covers key security concerns",
        "needs the audit policy's rules judged against what detection needs: planned with `kaegis detect --explain-policy`",
    ),
    a("4.1.1", "kubelet unit file: mode 600 or stricter"),
    a("4.1.2", "kubelet unit file: owned by root:root"),
    m("4.1.3", "kube-proxy kubeconfig: mode 600 or stricter"),
    m("4.1.4", "kube-proxy kubeconfig: owned by root:root"),
    a("4.1.5", "kubelet.conf: mode 600 or stricter"),
    a("4.1.6", "kubelet.conf: owned by root:root"),
    m("4.1.7", "kubelet client CA file: mode 644 or stricter"),
    m("4.1.8", "kubelet client CA file: owned by root:root"),
    a("4.1.9", "kubelet config file: mode 600 or stricter"),
    a("4.1.10", "kubelet config file: owned by root:root"),
    a("4.2.1", "kubelet: anonymous authentication off"),
    a("4.2.2", "kubelet: authorization mode not AlwaysAllow"),
    a("4.2.3", "kubelet: client CA file"),
    m("4.2.4", "kubelet: read-only port 0"),
    m("4.2.5", "kubelet: streaming connection idle timeout not 0"),
    a("4.2.6", "kubelet: manages its iptables utility chains"),
    m("4.2.7", "kubelet: no hostname override"),
    m("4.2.8", "kubelet: event record QPS as appropriate"),
    m("4.2.9", "kubelet: serving certificate and key"),
    a("4.2.10", "kubelet: client certificate rotation not off"),
    m("4.2.11", "kubelet: serving certificate rotation"),
    m("4.2.12", "kubelet: strong TLS cipher suites only"),
    m("4.2.13", "kubelet: pod PID limit"),
    m("4.2.14", "kubelet: seccomp profile by default"),
    a("4.3.1", "kube-proxy: metrics bound to localhost"),
];

/// The checks of `catalog` that implement recommendation `id`.
pub fn checks_for<'a>(catalog: &'a [&'static dyn Check], id: &str) -> Vec<&'a dyn Check> {
    catalog
        .iter()
        .filter(|c| c.meta().implements_cis(id))
        .map(|c| &**c)
        .collect()
}

/// Automated recommendations covered by a check, out of all automated ones.
pub fn coverage(catalog: &[&'static dyn Check]) -> (usize, usize) {
    let automated: Vec<&Recommendation> = RECOMMENDATIONS.iter().filter(|r| r.automated).collect();
    let covered = automated
        .iter()
        .filter(|r| !checks_for(catalog, r.id).is_empty())
        .count();
    (covered, automated.len())
}

/// The coverage table, as docs/cis-coverage.md holds it.
pub fn coverage_markdown(catalog: &[&'static dyn Check]) -> String {
    let (covered, automated) = coverage(catalog);
    let all_covered = RECOMMENDATIONS
        .iter()
        .filter(|r| !checks_for(catalog, r.id).is_empty())
        .count();
    let mut s = String::new();
    s.push_str("# CIS Kubernetes Benchmark coverage (sections 1 to 4)\n\n");
    s.push_str(&format!(
        "Generated by `kaegis checks --format cis-coverage` from the catalog (each check names the recommendations it implements) and kaegis's table of the {BENCHMARK}'s node-level recommendations (ids and ratings; the summaries are ours). `kaegis node` runs these checks on a node; section 5 (policies) is checked on manifests and clusters by the checks whose references name it (see [checks.md](checks.md)).\n\n"
    ));
    s.push_str(&format!(
        "Automated recommendations covered: **{covered} of {automated} ({:.0}%)**; all recommendations: {all_covered} of {}.\n\n",
        100.0 * covered as f64 / automated.max(1) as f64,
        RECOMMENDATIONS.len()
    ));
    s.push_str("Some checks of Manual recommendations, those that need judgement, run in the `cis` profile only ([checks.md](checks.md) lists each check's profiles).\n\n");
    s.push_str("| id | rating | recommendation | kaegis |\n| --- | --- | --- | --- |\n");
    for r in RECOMMENDATIONS {
        let checks = checks_for(catalog, r.id);
        let by = if checks.is_empty() {
            format!("not checked: {}", r.not_checked.unwrap_or("no check yet"))
        } else {
            checks
                .iter()
                .map(|c| {
                    format!(
                        "{} [`{}`](checks.md#{})",
                        c.meta().code,
                        c.meta().slug,
                        c.meta().slug
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        s.push_str(&format!(
            "| {} | {} | {} | {by} |\n",
            r.id,
            if r.automated { "Automated" } else { "Manual" },
            r.summary
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in RECOMMENDATIONS {
            assert!(seen.insert(r.id), "{} twice", r.id);
        }
    }

    #[test]
    fn automated_coverage_is_at_least_95_percent() {
        let (covered, automated) = coverage(&crate::CATALOG);
        assert!(
            covered * 100 >= automated * 95,
            "{covered} of {automated} automated recommendations covered"
        );
    }

    #[test]
    fn every_gap_says_why_and_no_check_claims_an_unknown_id() {
        for r in RECOMMENDATIONS {
            let checked = !checks_for(&crate::CATALOG, r.id).is_empty();
            assert!(
                checked || r.not_checked.is_some(),
                "{}: neither checked nor explained",
                r.id
            );
            assert!(
                !(checked && r.not_checked.is_some()),
                "{}: checked, yet explained as not checked",
                r.id
            );
        }
        // Every CIS id a check names in sections 1-4 is in the table.
        for c in crate::CATALOG.iter() {
            for r in c.meta().references {
                if r.source == "CIS" && !r.id.starts_with('5') {
                    assert!(
                        RECOMMENDATIONS.iter().any(|x| x.id == r.id),
                        "{}: CIS {} is not in the table",
                        c.meta().slug,
                        r.id
                    );
                }
            }
        }
    }
}
