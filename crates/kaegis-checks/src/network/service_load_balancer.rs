//! KG506: LoadBalancer Services must be internal or limit their sources.
use kaegis_core::{Area, Context, JsonPath, Node, Object, Severity, Violation};

use super::{cidr_is_everything, k8s, mitre, nsa};
use crate::macros::declare_check;
use crate::refs::HARDENING;

declare_check! {
    /// ## What
    /// A Service of `type: LoadBalancer` must either ask its cloud for an
    /// internal load balancer or say which client addresses may connect.
    /// The check reports such a Service when none of these holds:
    /// - `spec.loadBalancerSourceRanges` lists ranges (or, when that field
    ///   is empty, the `service.beta.kubernetes.io/load-balancer-source-ranges`
    ///   annotation does, as Kubernetes reads it) and none of them is
    ///   `0.0.0.0/0` or `::/0` (a range that admits every address is
    ///   reported where it is written);
    /// - an internal load-balancer annotation of a known cloud is set:
    ///   `service.beta.kubernetes.io/aws-load-balancer-internal` (any value
    ///   but `false`, as the AWS cloud provider reads it),
    ///   `service.beta.kubernetes.io/aws-load-balancer-scheme: internal`,
    ///   `networking.gke.io/load-balancer-type: Internal` (or the older
    ///   `cloud.google.com/load-balancer-type`),
    ///   `service.beta.kubernetes.io/azure-load-balancer-internal: "true"`,
    ///   `service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type: private`,
    ///   `service.beta.kubernetes.io/openstack-internal-load-balancer: "true"`,
    ///   `service.beta.kubernetes.io/oci-load-balancer-internal: "true"`,
    ///   `oci-network-load-balancer.oraclecloud.com/internal: "true"`,
    ///   `service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type: intranet`,
    ///   `service.beta.kubernetes.io/cce-load-balancer-internal-vpc: "true"`
    ///   (Baidu), `service.kubernetes.io/qcloud-loadbalancer-internal-subnetid`
    ///   (Tencent, any subnet), or
    ///   `load-balancer.hetzner.cloud/disable-public-network: "true"`;
    /// - the AWS Load Balancer Controller or EKS Auto Mode provisions it
    ///   (`spec.loadBalancerClass` `service.k8s.aws/nlb` or
    ///   `eks.amazonaws.com/nlb`, or the annotation
    ///   `service.beta.kubernetes.io/aws-load-balancer-type` `external` or
    ///   `nlb-ip`) and no `aws-load-balancer-scheme: internet-facing` (nor
    ///   `aws-load-balancer-internal: "false"`) asks for a public one: those
    ///   controllers make internal load balancers by default.
    ///
    /// A load balancer on a private network that none of these can express
    /// (MetalLB on a LAN, an on-premises appliance) is internal by
    /// construction: waive the check for it with a reason.
    ///
    /// ## Why
    /// On a cloud, a LoadBalancer Service gets a public address by default,
    /// reachable from the whole internet on every port it lists. Services
    /// meant for the VPC (databases, internal APIs, admin consoles) then
    /// become internet-facing, and public ones take traffic from scanners
    /// and attackers rather than from the clients they serve.
    ///
    /// ## How to fix
    /// Ask for an internal load balancer, or list the client ranges:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   annotations:
    ///     networking.gke.io/load-balancer-type: Internal
    /// spec:
    ///   type: LoadBalancer
    ///   loadBalancerSourceRanges:
    ///   - 203.0.113.0/24
    ///   selector:
    ///     app: api
    ///   ports:
    ///   - port: 443
    ///     targetPort: 8443
    /// ```
    pub struct ServiceLoadBalancer {
        code: "KG506",
        slug: "service-load-balancer",
        title: "LoadBalancer Services must be internal or limit their sources",
        severity: Severity::Medium,
        area: Area::Network,
        kinds: &["Service"],
        profiles: HARDENING,
        references: &[
            nsa("Network separation and hardening"),
            mitre("T1190 Exploit Public-Facing Application"),
            k8s(
                "Internal load balancer",
                "https://kubernetes.io/docs/concepts/services-networking/service/#internal-load-balancer"
            ),
            k8s(
                "Restrict access for LoadBalancer Service",
                "https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/#restrict-access-for-loadbalancer-service"
            ),
        ],
    }
}

/// Annotations that ask a cloud for an internal load balancer, with the
/// value that does (`None`: any non-empty value).
const INTERNAL_ANNOTATIONS: &[(&str, Option<&str>)] = &[
    (
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        Some("internal"),
    ),
    ("networking.gke.io/load-balancer-type", Some("internal")),
    ("cloud.google.com/load-balancer-type", Some("internal")),
    (
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        Some("true"),
    ),
    (
        "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type",
        Some("private"),
    ),
    (
        "service.beta.kubernetes.io/openstack-internal-load-balancer",
        Some("true"),
    ),
    (
        "service.beta.kubernetes.io/oci-load-balancer-internal",
        Some("true"),
    ),
    (
        "oci-network-load-balancer.oraclecloud.com/internal",
        Some("true"),
    ),
    (
        "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type",
        Some("intranet"),
    ),
    (
        "service.beta.kubernetes.io/cce-load-balancer-internal-vpc",
        Some("true"),
    ),
    (
        "service.kubernetes.io/qcloud-loadbalancer-internal-subnetid",
        None,
    ),
    (
        "load-balancer.hetzner.cloud/disable-public-network",
        Some("true"),
    ),
];

const AWS_INTERNAL: &str = "service.beta.kubernetes.io/aws-load-balancer-internal";
const AWS_SCHEME: &str = "service.beta.kubernetes.io/aws-load-balancer-scheme";
const AWS_TYPE: &str = "service.beta.kubernetes.io/aws-load-balancer-type";
const SOURCE_RANGES: &str = "service.beta.kubernetes.io/load-balancer-source-ranges";

/// True when the Service asks for an internal load balancer.
fn is_internal(obj: &Object) -> bool {
    let text = |key: &str| obj.annotation(key).map(str::trim).filter(|v| !v.is_empty());
    let aws_internal = text(AWS_INTERNAL);
    // The AWS cloud provider reads any value but "false" as internal.
    if aws_internal.is_some_and(|v| !v.eq_ignore_ascii_case("false")) {
        return true;
    }
    let known = INTERNAL_ANNOTATIONS.iter().any(|(key, want)| {
        text(key).is_some_and(|v| want.is_none_or(|w| v.eq_ignore_ascii_case(w)))
    });
    if known {
        return true;
    }
    // The AWS Load Balancer Controller and EKS Auto Mode default to an
    // internal scheme.
    let class = obj
        .root
        .get_path(&["spec", "loadBalancerClass"])
        .and_then(Node::as_str);
    let aws_controller = matches!(class, Some("service.k8s.aws/nlb" | "eks.amazonaws.com/nlb"))
        || text(AWS_TYPE).is_some_and(|t| t == "external" || t == "nlb-ip");
    aws_controller && text(AWS_SCHEME).is_none() && aws_internal.is_none()
}

impl ServiceLoadBalancer {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if obj.id.kind != "Service" || !obj.group().is_empty() {
            return;
        }
        let Some(spec) = obj.root.get("spec") else {
            return;
        };
        if spec.get("type").and_then(Node::as_str) != Some("LoadBalancer") {
            return;
        }
        if is_internal(obj) {
            return;
        }
        let ranges = spec
            .get("loadBalancerSourceRanges")
            .map_or(&[][..], Node::items);
        if !ranges.is_empty() {
            for (i, r) in ranges.iter().enumerate() {
                if let Some(cidr) = r.as_str().filter(|c| cidr_is_everything(c)) {
                    out.push(Violation::new(
                        JsonPath::root()
                            .keys(&["spec", "loadBalancerSourceRanges"])
                            .index(i),
                        format!(
                            "loadBalancerSourceRanges lists {cidr}: the load balancer admits every client address"
                        ),
                    ));
                }
            }
            return;
        }
        if let Some(list) = obj
            .annotation(SOURCE_RANGES)
            .filter(|v| !v.trim().is_empty())
        {
            if let Some(cidr) = list
                .split(',')
                .map(str::trim)
                .find(|c| cidr_is_everything(c))
            {
                out.push(Violation::new(
                    JsonPath::root()
                        .keys(&["metadata", "annotations"])
                        .key(SOURCE_RANGES),
                    format!(
                        "the source-ranges annotation lists {cidr}: the load balancer admits every client address"
                    ),
                ));
            }
            return;
        }
        let ports: Vec<&str> = spec
            .get("ports")
            .map_or(&[][..], Node::items)
            .iter()
            .filter_map(|p| p.get("port").and_then(Node::as_str))
            .collect();
        let on = if ports.is_empty() {
            String::new()
        } else {
            format!(" on port(s) {}", ports.join(", "))
        };
        out.push(Violation::new(
            JsonPath::root().keys(&["spec", "type"]),
            format!(
                "Service of type LoadBalancer has no loadBalancerSourceRanges and no internal load-balancer annotation: on a cloud it is reachable from the internet{on}"
            ),
        ));
    }
}
