//! KD202: a Service created or changed to NodePort or LoadBalancer.
use kaegis_core::Severity;
use serde_json::Value;

use crate::event::Event;
use crate::identity::is_control_plane;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};

/// The fact under which exposed Services are remembered, so that an update
/// of a Service that already was exposed does not alert again.
const EXPOSED: &str = "exposed-services";

declare_rule! {
    /// ## What
    /// Alerts when a Service of type `NodePort` or `LoadBalancer` is
    /// created, or a Service is updated or patched to one of these types.
    /// The rule reads the request body (`spec.type`; for a patch, the
    /// patch itself, merge or JSON), so Services must be logged at level
    /// `Request`. Exposed Services are remembered: updating a Service that
    /// was already seen exposed does not alert again, a change back to
    /// `ClusterIP` or a deletion forgets it. A Service in `kube-system` is
    /// high severity.
    ///
    /// ## Why
    /// A NodePort opens a port on every node of the cluster; a
    /// LoadBalancer asks the cloud for a public address. Either takes a
    /// workload that was reachable only inside the cluster and puts it on
    /// the network — often the internet — past Ingress authentication and
    /// NetworkPolicies that only consider pod traffic. Attackers use it to
    /// open a way back in (a backdoor pod behind a LoadBalancer), and
    /// mistakes expose admin consoles and databases.
    ///
    /// ## How to respond
    /// Check what the Service selects and who should reach it. If it
    /// should not be public, change it back to `ClusterIP` and publish it
    /// through the Ingress or Gateway that carries authentication; if it
    /// must be a LoadBalancer, restrict its sources:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: admin, namespace: web}
    /// spec:
    ///   type: LoadBalancer
    ///   loadBalancerSourceRanges: [198.51.100.0/24]
    ///   selector: {app: admin}
    ///   ports: [{port: 443, targetPort: 8443}]
    /// ```
    pub struct ServiceExposed {
        code: "KD202",
        slug: "service-exposed",
        title: "A NodePort or LoadBalancer Service was created",
        severity: Severity::Medium,
        tactic: "Persistence",
        mitre: &[Technique { id: "T1133", name: "External Remote Services" }],
        needs: &[
            Need { group: "", resources: &["services"], verbs: &["create", "update", "patch"], level: Level::Request },
            Need { group: "", resources: &["services"], verbs: &["delete"], level: Level::Metadata },
        ],
    }
}

/// The `spec.type` a request body sets, if any.
fn service_type(body: &Value) -> Option<&str> {
    match body {
        Value::Array(ops) => {
            ops.iter()
                .rev()
                .find_map(|op| match (op.get("path")?.as_str()?, op.get("value")?) {
                    ("/spec/type", v) => v.as_str(),
                    ("/spec", v) => v.get("type")?.as_str(),
                    _ => None,
                })
        }
        obj => obj.pointer("/spec/type")?.as_str(),
    }
}

impl ServiceExposed {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        let verb = &*ev.verb;
        if !matches!(verb, "create" | "update" | "patch" | "delete") || !ev.is("services", "") {
            return;
        }
        if !ev.api_group().is_empty() || !ev.succeeded() {
            return;
        }
        let ns = ev.namespace();
        if verb == "delete" {
            cx.state
                .set_fact(EXPOSED, &format!("{ns}/{}", ev.name()), false);
            return;
        }
        let Some(body) = ev.request_json() else {
            return;
        };
        let name = ev.name_in(&body).unwrap_or("(generated name)");
        let key = format!("{ns}/{name}");
        let ty = match service_type(&body) {
            Some(t @ ("NodePort" | "LoadBalancer")) => t.to_owned(),
            Some(_) => {
                cx.state.set_fact(EXPOSED, &key, false);
                return;
            }
            None => return,
        };
        if cx.state.fact(EXPOSED, &key) {
            return;
        }
        cx.state.set_fact(EXPOSED, &key, true);
        if is_control_plane(ev.acting_user(), cx.settings) {
            return;
        }
        let did = match verb {
            "create" => "created",
            "update" => "updated",
            _ => "patched",
        };
        let mut hit = Hit::new(
            format!(
                "{} {did} Service {ns}/{name} as type {ty}",
                ev.acting_user().username
            ),
            key,
        );
        if ns == "kube-system" {
            hit = hit.severity(Severity::High);
        }
        out.push(hit);
    }
}
