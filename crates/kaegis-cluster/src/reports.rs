//! `kaegis cluster --write-reports`: the audit's findings written back to
//! the cluster as `wgpolicyk8s.io/v1alpha2` PolicyReports (one per
//! namespace with findings) and a ClusterPolicyReport (cluster-scoped
//! objects), the objects Policy Reporter and similar UIs read.
//!
//! - Every report is written with server-side apply under the field manager
//!   `kaegis`, forced: kaegis owns the reports it writes, so a later run
//!   replaces the results wholesale, and a concurrent writer of the same
//!   name loses its fields rather than blocking the audit.
//! - Each report carries the labels `app.kubernetes.io/managed-by: kaegis`
//!   and `kaegis.dev/source: cluster-audit`; a report with both labels that
//!   this run did not write (its namespace has no finding left, or is gone)
//!   is deleted. Reports a user applied from `kaegis scan --format
//!   policyreport` lack the second label and are left alone.
//! - etcd stores at most about 1.5 MiB per object: a report's results are
//!   cut at [`MAX_REPORT_BYTES`], most severe first, with the summary still
//!   counting every finding and an annotation saying how many were left
//!   out.

use std::collections::BTreeSet;

use kube::api::{ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::{Api, Client};
use serde_json::{Value, json};

use kaegis_report::Report;

use crate::fetch::with_retries;

/// API group and version of the reports.
pub const GROUP_VERSION: &str = "wgpolicyk8s.io/v1alpha2";
/// The label that marks reports written by `kaegis cluster`.
pub const SOURCE_LABEL: &str = "kaegis.dev/source";
/// Its value.
pub const SOURCE: &str = "cluster-audit";
/// The annotation that counts results left out of a report for size.
pub const OMITTED_ANNOTATION: &str = "kaegis.dev/results-omitted";
/// The largest report written, in bytes of JSON (etcd's limit per object
/// is 1.5 MiB by default; the rest is headroom for metadata and encoding).
pub const MAX_REPORT_BYTES: usize = 1024 * 1024;

/// Why reports could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The cluster has no PolicyReport CRDs.
    #[error(
        "the cluster does not serve {GROUP_VERSION} (the PolicyReport CRDs): install them first, e.g. `kubectl apply -f deploy/cronjob/crds/policyreports.yaml`, or Kyverno's"
    )]
    NoCrds,
    /// A request failed.
    #[error("{what}: {source}")]
    Api {
        /// Which report or listing.
        what: String,
        /// The client's error.
        source: kube::Error,
    },
}

/// What one run wrote and removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    /// PolicyReports written (created or updated), as `namespace/name`.
    pub policy_reports: Vec<String>,
    /// ClusterPolicyReports written.
    pub cluster_policy_reports: Vec<String>,
    /// Stale reports deleted, as `namespace/name` or `name`.
    pub deleted: Vec<String>,
    /// Results left out for size, summed over every report.
    pub omitted: usize,
}

fn resource(kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: "wgpolicyk8s.io".to_owned(),
        version: "v1alpha2".to_owned(),
        api_version: GROUP_VERSION.to_owned(),
        kind: kind.to_owned(),
        plural: plural.to_owned(),
    }
}

fn severity_rank(result: &Value) -> u8 {
    match result["severity"].as_str() {
        Some("critical") => 0,
        Some("high") => 1,
        Some("medium") => 2,
        Some("low") => 3,
        _ => 4,
    }
}

/// Cuts `report`'s results to fit [`MAX_REPORT_BYTES`] (most severe
/// kept), labels it as this audit's and returns how many were left out.
pub fn prepare(report: &mut Value, max_bytes: usize) -> usize {
    report["metadata"]["labels"][SOURCE_LABEL] = json!(SOURCE);
    let size = serde_json::to_vec(report).map_or(0, |v| v.len());
    if size <= max_bytes {
        return 0;
    }
    let Some(results) = report["results"].as_array_mut() else {
        return 0;
    };
    results.sort_by_key(severity_rank);
    let total = results.len();
    // Keep results while they fit, leaving room for the rest of the object.
    let frame = size
        - results
            .iter()
            .map(|r| r.to_string().len() + 1)
            .sum::<usize>();
    let mut used = frame + 128;
    let mut keep = 0;
    for r in results.iter() {
        let len = r.to_string().len() + 1;
        if used + len > max_bytes {
            break;
        }
        used += len;
        keep += 1;
    }
    results.truncate(keep);
    let omitted = total - keep;
    report["metadata"]["annotations"][OMITTED_ANNOTATION] = json!(omitted.to_string());
    omitted
}

fn api_error(what: impl Into<String>) -> impl FnOnce(kube::Error) -> WriteError {
    let what = what.into();
    move |source| WriteError::Api { what, source }
}

/// Writes the audit's reports and deletes this audit's stale ones.
pub async fn write(client: &Client, report: &Report) -> Result<Written, WriteError> {
    match with_retries(|| client.list_api_group_resources(GROUP_VERSION)).await {
        Ok(list) if list.resources.iter().any(|r| r.name == "policyreports") => {}
        Ok(_) => return Err(WriteError::NoCrds),
        Err(kube::Error::Api(s)) if s.code == 404 => return Err(WriteError::NoCrds),
        Err(e) => return Err(api_error(format!("discovering {GROUP_VERSION}"))(e)),
    }
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let list = kaegis_report::policyreport::to_value(report, seconds);
    let namespaced = resource("PolicyReport", "policyreports");
    let cluster = resource("ClusterPolicyReport", "clusterpolicyreports");
    let params = PatchParams::apply("kaegis").force();
    let mut written = Written::default();
    let mut kept: BTreeSet<(Option<String>, String)> = BTreeSet::new();
    for mut item in list["items"].as_array().cloned().unwrap_or_default() {
        written.omitted += prepare(&mut item, MAX_REPORT_BYTES);
        let name = item["metadata"]["name"]
            .as_str()
            .unwrap_or("kaegis")
            .to_owned();
        let namespace = item["metadata"]["namespace"].as_str().map(str::to_owned);
        let is_cluster = item["kind"] == "ClusterPolicyReport";
        let api: Api<DynamicObject> = match (&namespace, is_cluster) {
            (_, true) => Api::all_with(client.clone(), &cluster),
            (Some(ns), false) => Api::namespaced_with(client.clone(), ns, &namespaced),
            // Objects without a namespace that are not cluster-scoped do
            // not come out of a live listing; nothing to write them to.
            (None, false) => continue,
        };
        let what = match &namespace {
            Some(ns) => format!("PolicyReport {ns}/{name}"),
            None => format!("ClusterPolicyReport {name}"),
        };
        let patch = Patch::Apply(&item);
        with_retries(|| api.patch(&name, &params, &patch))
            .await
            .map_err(api_error(format!("writing {what}")))?;
        if is_cluster {
            written.cluster_policy_reports.push(name.clone());
        } else if let Some(ns) = &namespace {
            written.policy_reports.push(format!("{ns}/{name}"));
        }
        kept.insert((namespace.filter(|_| !is_cluster), name));
    }
    let selector = format!("app.kubernetes.io/managed-by=kaegis,{SOURCE_LABEL}={SOURCE}");
    let lp = ListParams::default().labels(&selector);
    for (ar, cluster_scoped) in [(&namespaced, false), (&cluster, true)] {
        let api: Api<DynamicObject> = Api::all_with(client.clone(), ar);
        let existing = with_retries(|| api.list_metadata(&lp))
            .await
            .map_err(api_error(format!("listing {}s", ar.kind)))?;
        for meta in existing.items {
            let name = meta.metadata.name.clone().unwrap_or_default();
            let ns = meta.metadata.namespace.clone();
            if kept.contains(&(ns.clone().filter(|_| !cluster_scoped), name.clone())) {
                continue;
            }
            let (api, shown): (Api<DynamicObject>, String) = match &ns {
                Some(ns) if !cluster_scoped => (
                    Api::namespaced_with(client.clone(), ns, ar),
                    format!("{ns}/{name}"),
                ),
                _ => (Api::all_with(client.clone(), ar), name.clone()),
            };
            let dp = DeleteParams::default();
            match with_retries(|| api.delete(&name, &dp)).await {
                Ok(_) => written.deleted.push(format!("{} {shown}", ar.kind)),
                // Deleted meanwhile (its namespace went away): fine.
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => return Err(api_error(format!("deleting {} {shown}", ar.kind))(e)),
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(results: usize) -> Value {
        let results: Vec<Value> = (0..results)
            .map(|i| {
                json!({
                    "policy": "privileged",
                    "severity": if i % 2 == 0 { "low" } else { "critical" },
                    "message": "x".repeat(200),
                })
            })
            .collect();
        json!({
            "apiVersion": GROUP_VERSION,
            "kind": "PolicyReport",
            "metadata": { "name": "kaegis-shop", "namespace": "shop", "labels": { "app.kubernetes.io/managed-by": "kaegis" } },
            "summary": { "fail": results.len() },
            "results": results,
        })
    }

    #[test]
    fn small_reports_are_only_labelled() {
        let mut r = report(3);
        assert_eq!(prepare(&mut r, MAX_REPORT_BYTES), 0);
        assert_eq!(r["metadata"]["labels"][SOURCE_LABEL], SOURCE);
        assert_eq!(r["results"].as_array().unwrap().len(), 3);
        assert!(r["metadata"].get("annotations").is_none());
    }

    #[test]
    fn large_reports_keep_the_most_severe_results_within_the_limit() {
        let mut r = report(100);
        let omitted = prepare(&mut r, 8 * 1024);
        let kept = r["results"].as_array().unwrap();
        assert_eq!(kept.len() + omitted, 100);
        assert!(omitted > 0 && !kept.is_empty());
        assert!(serde_json::to_vec(&r).unwrap().len() <= 8 * 1024);
        assert!(kept.iter().all(|k| k["severity"] == "critical"));
        assert_eq!(
            r["metadata"]["annotations"][OMITTED_ANNOTATION],
            omitted.to_string()
        );
        // The summary still counts every finding.
        assert_eq!(r["summary"]["fail"], 100);
    }
}
