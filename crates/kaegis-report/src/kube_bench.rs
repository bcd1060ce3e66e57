//! `--format kube-bench-json`: the results of a node audit in the JSON
//! shape kube-bench writes (`Controls` with `tests` groups of `results`,
//! `Totals`), so dashboards and scripts that read kube-bench keep working.
//!
//! Each CIS recommendation is one result, judged from the checks that name
//! it in their references:
//! - FAIL when one of them has a finding (`actual_value` lists them,
//!   `remediation` is the check's How to fix);
//! - PASS when they ran on an object of a kind they look at and found
//!   nothing;
//! - WARN, with the reason in `reason`, when kaegis has no check for it (as
//!   kube-bench does for what it cannot decide), when the profile left its
//!   checks out, or when nothing they read is on the node (no kube-proxy
//!   process, no EncryptionConfiguration);
//! - controls whose components were not read are left out: a worker has no
//!   API server, so section 1 is absent, as in kube-bench's worker runs.

use std::collections::BTreeSet;
use std::io::{self, Write};

use kaegis_core::CheckMeta;
use serde_json::{Value, json};

use crate::Report;

/// One recommendation of the benchmark, as the caller's table holds it.
#[derive(Debug, Clone)]
pub struct Recommendation<'a> {
    /// Its id (`1.2.6`).
    pub id: &'a str,
    /// Automated (scored) or Manual.
    pub automated: bool,
    /// What it asks.
    pub summary: &'a str,
    /// Why kaegis does not check it, when it does not.
    pub not_checked: Option<&'a str>,
    /// The checks of the whole catalog that implement it (`KG810
    /// apiserver-anonymous-auth`), selected for this run or not.
    pub implemented_by: Vec<String>,
}

/// The benchmark: its kube-bench version name (`cis-1.12`) and
/// recommendations.
#[derive(Debug, Clone)]
pub struct Benchmark<'a> {
    /// kube-bench's name for the version (`cis-1.12`).
    pub version: &'a str,
    /// Every recommendation, in order.
    pub recommendations: Vec<Recommendation<'a>>,
}

/// kube-bench's controls (top-level sections), their node types and titles.
const CONTROLS: &[(&str, &str, &str)] = &[
    ("1", "master", "Control Plane Security Configuration"),
    ("2", "etcd", "Etcd Node Configuration"),
    ("3", "controlplane", "Control Plane Configuration"),
    ("4", "node", "Worker Node Security Configuration"),
];

/// Group titles (the recommendations' sections).
fn group_title(section: &str) -> &'static str {
    match section {
        "1.1" => "Control Plane Node Configuration Files",
        "1.2" => "API Server",
        "1.3" => "Controller Manager",
        "1.4" => "Scheduler",
        "2" => "Etcd Node Configuration",
        "3.1" => "Authentication and Authorization",
        "3.2" => "Logging",
        "4.1" => "Worker Node Configuration Files",
        "4.2" => "Kubelet",
        "4.3" => "kube-proxy",
        _ => "",
    }
}

/// `1.2.6` → `1.2`; `2.3` → `2`.
fn section_of(id: &str) -> &str {
    if id.starts_with("2.") {
        return "2";
    }
    match id.rfind('.') {
        Some(i) => &id[..i],
        None => id,
    }
}

fn checks_for<'r>(report: &'r Report, id: &str) -> Vec<&'r CheckMeta> {
    report
        .checks
        .iter()
        .copied()
        .filter(|c| c.implements_cis(id))
        .collect()
}

/// The kube-bench report of `report` against `benchmark`.
pub fn to_value(report: &Report, benchmark: &Benchmark) -> Value {
    let kinds: BTreeSet<&str> = report
        .checked
        .iter()
        .map(|c| c.object.kind.as_str())
        .collect();
    // A kind the node has, in the sense of kube-bench's node types: files
    // are judged only within the controls whose components run here.
    let has = |k: &str| kinds.contains(k);
    let present = |control: &str| match control {
        "1" | "3" => has("KubeAPIServer") || has("KubeControllerManager") || has("KubeScheduler"),
        "2" => has("Etcd"),
        "4" => has("Kubelet") || has("KubeProxy"),
        _ => false,
    };
    let mut totals = [0usize; 4];
    let mut controls = Vec::new();
    for (control, node_type, text) in CONTROLS {
        if !present(control) {
            continue;
        }
        let mut groups: Vec<(String, Vec<Value>, [usize; 4])> = Vec::new();
        for r in benchmark
            .recommendations
            .iter()
            .filter(|r| r.id.split('.').next() == Some(control))
        {
            let checks = checks_for(report, r.id);
            let ran = checks
                .iter()
                .any(|c| c.kinds.is_empty() || c.kinds.iter().any(|k| has(k)));
            let findings: Vec<&kaegis_core::Finding> = report
                .findings
                .iter()
                .filter(|f| checks.iter().any(|c| c.code == f.check.code))
                .collect();
            let (status, slot) = if !findings.is_empty() {
                ("FAIL", 1)
            } else if checks.is_empty() {
                // No check of this run: none exists, or the profile left
                // them out.
                ("WARN", 2)
            } else if ran {
                ("PASS", 0)
            } else {
                // Its checks ran, but nothing of the kinds they read is on
                // this node (no kube-proxy, no EncryptionConfiguration).
                ("WARN", 2)
            };
            let remediation = checks
                .iter()
                .filter_map(|c| c.doc_section("How to fix"))
                .map(|t| t.trim().to_owned())
                .collect::<Vec<_>>()
                .join("\n\n");
            let actual: Vec<String> = findings
                .iter()
                .map(|f| format!("{}: {}", f.object, f.message))
                .collect();
            let mut result = json!({
                "test_number": r.id,
                "test_desc": r.summary,
                "audit": checks.iter().map(|c| format!("kaegis {} {}", c.code, c.slug)).collect::<Vec<_>>().join(", "),
                "AuditEnv": "",
                "AuditConfig": "",
                "type": if r.automated { "" } else { "manual" },
                "remediation": remediation,
                "test_info": checks.iter().map(|c| c.title).collect::<Vec<_>>(),
                "status": status,
                "actual_value": actual.join("\n"),
                "scored": r.automated,
                "IsMultiple": false,
                "expected_result": "",
            });
            if status == "WARN" {
                result["reason"] = json!(if !checks.is_empty() {
                    let kinds: BTreeSet<&str> = checks
                        .iter()
                        .flat_map(|c| c.kinds.iter().copied())
                        .collect();
                    format!(
                        "nothing to judge on this node: no {} was found",
                        kinds.into_iter().collect::<Vec<_>>().join(" or ")
                    )
                } else if r.implemented_by.is_empty() {
                    format!(
                        "not checked by kaegis: {}",
                        r.not_checked.unwrap_or("no check yet")
                    )
                } else {
                    format!(
                        "not selected by this run's profile: {} (all of them run with --profile cis)",
                        r.implemented_by.join(", ")
                    )
                });
            }
            let section = section_of(r.id).to_owned();
            if groups.last().map(|g| &g.0) != Some(&section) {
                groups.push((section.clone(), Vec::new(), [0; 4]));
            }
            if let Some(g) = groups.last_mut() {
                g.1.push(result);
                g.2[slot] += 1;
            }
        }
        let mut sum = [0usize; 4];
        let tests: Vec<Value> = groups
            .into_iter()
            .map(|(section, results, c)| {
                for i in 0..4 {
                    sum[i] += c[i];
                }
                json!({
                    "section": section,
                    "type": "",
                    "pass": c[0], "fail": c[1], "warn": c[2], "info": c[3],
                    "desc": group_title(&section),
                    "results": results,
                })
            })
            .collect();
        for i in 0..4 {
            totals[i] += sum[i];
        }
        controls.push(json!({
            "id": control,
            "version": benchmark.version,
            "text": text,
            "node_type": node_type,
            "tests": tests,
            "total_pass": sum[0], "total_fail": sum[1], "total_warn": sum[2], "total_info": sum[3],
        }));
    }
    json!({
        "Controls": controls,
        "Totals": {
            "total_pass": totals[0], "total_fail": totals[1], "total_warn": totals[2], "total_info": totals[3],
        },
    })
}

/// Writes the kube-bench report.
pub fn write(report: &Report, benchmark: &Benchmark, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_value(report, benchmark))?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections() {
        assert_eq!(section_of("1.2.6"), "1.2");
        assert_eq!(section_of("2.3"), "2");
        assert_eq!(section_of("4.1.10"), "4.1");
    }
}
