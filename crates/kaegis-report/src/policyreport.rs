//! PolicyReport output: `wgpolicyk8s.io/v1alpha2` PolicyReport objects, one
//! per namespace, and one ClusterPolicyReport for cluster-scoped objects —
//! the shape Kyverno, Policy Reporter and their UIs read. The output is a
//! `v1` `List` in JSON, ready for `kubectl apply -f`.
//!
//! Each finding is one result: `policy` is the check's slug, `rule` its
//! code, `category` its area, `result` is `fail`, and `resources` names the
//! object. Objects a manifest leaves without a namespace go to a report
//! without one, which lands in the namespace `kubectl apply -n` gives it.

use std::collections::BTreeMap;
use std::io::{self, Write};

use kaegis_core::Finding;
use serde_json::{Value, json};

use crate::{Report, TOOL_VERSION};

fn result(f: &Finding, seconds: u64) -> Value {
    let mut resource = json!({
        "apiVersion": f.object.api_version,
        "kind": f.object.kind,
        "name": f.object.name,
    });
    if let Some(ns) = &f.object.namespace {
        resource["namespace"] = json!(ns);
    }
    let mut properties = json!({
        "code": f.check.code,
        "path": f.path.to_string(),
    });
    if let Some(file) = &f.location.file {
        properties["file"] = json!(file.display().to_string());
        properties["line"] = json!(f.location.pos.line.to_string());
    }
    json!({
        "source": "kaegis",
        "policy": f.check.slug,
        "rule": f.check.code,
        "category": f.check.area.as_str(),
        "severity": f.severity.as_str(),
        "result": "fail",
        "scored": true,
        "message": f.message,
        "timestamp": { "seconds": seconds, "nanos": 0 },
        "resources": [resource],
        "properties": properties,
    })
}

fn report_object(kind: &str, namespace: Option<&str>, results: Vec<Value>) -> Value {
    let name = match namespace {
        Some(ns) => format!("kaegis-{ns}"),
        None if kind == "ClusterPolicyReport" => "kaegis-cluster".to_owned(),
        None => "kaegis".to_owned(),
    };
    let mut metadata = json!({
        "name": name,
        "labels": {
            "app.kubernetes.io/managed-by": "kaegis",
            "app.kubernetes.io/version": TOOL_VERSION,
        },
    });
    if let Some(ns) = namespace {
        metadata["namespace"] = json!(ns);
    }
    json!({
        "apiVersion": "wgpolicyk8s.io/v1alpha2",
        "kind": kind,
        "metadata": metadata,
        "summary": { "pass": 0, "fail": results.len(), "warn": 0, "error": 0, "skip": 0 },
        "results": results,
    })
}

/// Builds the reports: a `List` of PolicyReports (by namespace, sorted)
/// and, when cluster-scoped objects have findings, a ClusterPolicyReport.
pub fn to_value(report: &Report, seconds: u64) -> Value {
    let mut namespaced: BTreeMap<Option<&str>, Vec<Value>> = BTreeMap::new();
    let mut cluster = Vec::new();
    for f in &report.findings {
        if f.object.is_cluster_scoped() {
            cluster.push(result(f, seconds));
        } else {
            namespaced
                .entry(f.object.namespace.as_deref())
                .or_default()
                .push(result(f, seconds));
        }
    }
    let mut items: Vec<Value> = namespaced
        .into_iter()
        .map(|(ns, results)| report_object("PolicyReport", ns, results))
        .collect();
    if !cluster.is_empty() {
        items.push(report_object("ClusterPolicyReport", None, cluster));
    }
    json!({ "apiVersion": "v1", "kind": "List", "items": items })
}

/// Writes the reports, stamped with the current time.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    serde_json::to_writer_pretty(&mut *out, &to_value(report, seconds))?;
    writeln!(out)
}
