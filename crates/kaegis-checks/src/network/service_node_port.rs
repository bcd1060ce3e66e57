//! KG507: Services should not be of type NodePort.
use kaegis_core::{Area, Context, JsonPath, Node, Object, Severity, Violation};

use super::{k8s, mitre, nsa};
use crate::macros::declare_check;
use crate::refs::HARDENING;

declare_check! {
    /// ## What
    /// A Service should not be of `type: NodePort`. The check reports every
    /// core Service whose `spec.type` is `NodePort`, naming the node ports
    /// it sets (or saying that Kubernetes picks them). Services of type
    /// `LoadBalancer` also allocate node ports, but that is the cloud load
    /// balancer's plumbing and the `service-load-balancer` check judges
    /// them; `ClusterIP`, `ExternalName` and headless Services pass.
    ///
    /// ## Why
    /// A NodePort Service opens a port (30000–32767 by default) on every
    /// node of the cluster, on all of the node's addresses, and forwards it
    /// to the pods. Whoever can reach any node can reach the workload,
    /// bypassing the ingress controller, its TLS and its authentication;
    /// node firewalls have to be kept in step with every such Service, and
    /// NetworkPolicies see the traffic as coming from the node. An Ingress,
    /// a Gateway or an internal load balancer puts one controlled entry in
    /// front instead.
    ///
    /// ## How to fix
    /// Make the Service internal to the cluster and publish it through an
    /// Ingress or Gateway:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    /// spec:
    ///   type: ClusterIP
    ///   selector:
    ///     app: web
    ///   ports:
    ///   - port: 80
    ///     targetPort: 8080
    /// ```
    pub struct ServiceNodePort {
        code: "KG507",
        slug: "service-node-port",
        title: "Services should not be of type NodePort",
        severity: Severity::Low,
        area: Area::Network,
        kinds: &["Service"],
        profiles: HARDENING,
        references: &[
            nsa("Network separation and hardening"),
            mitre("T1190 Exploit Public-Facing Application"),
            k8s(
                "Service type NodePort",
                "https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport"
            ),
        ],
    }
}

impl ServiceNodePort {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if obj.id.kind != "Service" || !obj.group().is_empty() {
            return;
        }
        let Some(spec) = obj.root.get("spec") else {
            return;
        };
        if spec.get("type").and_then(Node::as_str) != Some("NodePort") {
            return;
        }
        let ports: Vec<&str> = spec
            .get("ports")
            .map_or(&[][..], Node::items)
            .iter()
            .filter_map(|p| p.get("nodePort").and_then(Node::as_str))
            .collect();
        let which = if ports.is_empty() {
            "node port(s) allocated by Kubernetes".to_owned()
        } else {
            format!("node port(s) {}", ports.join(", "))
        };
        out.push(Violation::new(
            JsonPath::root().keys(&["spec", "type"]),
            format!("Service of type NodePort opens {which} on every node of the cluster"),
        ));
    }
}
