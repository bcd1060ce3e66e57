//! KG509: Services must not set externalIPs.
use kaegis_core::{Area, Context, JsonPath, Node, Object, Severity, Violation};

use super::{k8s, mitre};
use crate::macros::declare_check;
use crate::refs::HARDENING;

declare_check! {
    /// ## What
    /// A Service must not list `spec.externalIPs`. The check reports every
    /// core Service whose `externalIPs` has at least one entry, whatever its
    /// type; an empty list passes. (`status.loadBalancer.ingress`, the
    /// address a cloud gives a LoadBalancer, is not `externalIPs` and is not
    /// read.)
    ///
    /// ## Why
    /// kube-proxy sends traffic for an `externalIPs` address to the
    /// Service's pods from every node, for every pod of the cluster, with
    /// no check that the address belongs to whoever created the Service.
    /// Anyone allowed to create or edit a Service can therefore claim the
    /// address of another service, inside or outside the cluster, and
    /// intercept the traffic meant for it (CVE-2020-8554, a design issue
    /// that has no patch: Kubernetes advises denying the field with
    /// admission control). Legitimate uses are rare and better served by a
    /// LoadBalancer or by the network itself.
    ///
    /// ## How to fix
    /// Remove `externalIPs`; expose the Service through a load balancer or
    /// an Ingress instead:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    /// spec:
    ///   type: LoadBalancer
    ///   loadBalancerSourceRanges: [203.0.113.0/24]
    ///   selector:
    ///     app: web
    ///   ports:
    ///   - port: 443
    /// ```
    pub struct ServiceExternalIps {
        code: "KG509",
        slug: "service-external-ips",
        title: "Services must not set externalIPs",
        severity: Severity::Medium,
        area: Area::Network,
        kinds: &["Service"],
        profiles: HARDENING,
        references: &[
            mitre("T1557 Adversary-in-the-Middle"),
            k8s(
                "CVE-2020-8554: man in the middle using LoadBalancer or ExternalIPs",
                "https://github.com/kubernetes/kubernetes/issues/97076"
            ),
            k8s(
                "Service external IPs",
                "https://kubernetes.io/docs/concepts/services-networking/service/#external-ips"
            ),
        ],
    }
}

impl ServiceExternalIps {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if obj.id.kind != "Service" || !obj.group().is_empty() {
            return;
        }
        let Some(ips) = obj.root.get_path(&["spec", "externalIPs"]) else {
            return;
        };
        if ips.items().is_empty() {
            return;
        }
        let list: Vec<&str> = ips.items().iter().filter_map(Node::as_str).collect();
        out.push(Violation::new(
            JsonPath::root().keys(&["spec", "externalIPs"]),
            format!(
                "Service claims externalIPs {}: traffic to these addresses is sent to its pods from every node (CVE-2020-8554)",
                list.join(", ")
            ),
        ));
    }
}
