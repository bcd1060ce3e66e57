//! KG508: Ingresses must serve their hosts over TLS.
use kaegis_core::{Area, Context, JsonPath, Node, Object, Severity, Violation};

use super::{k8s, mitre, nsa, tls_name_covers};
use crate::macros::declare_check;
use crate::refs::HARDENING;

declare_check! {
    /// ## What
    /// An Ingress (`networking.k8s.io`, or the old `extensions` group) must
    /// terminate TLS for every host it routes. The check reports:
    /// - an Ingress with no `spec.tls` entry (absent or empty): at
    ///   `spec.tls`;
    /// - a rule `host` that no `spec.tls[].hosts` entry covers: at the
    ///   host. A TLS host covers a rule host when they are equal (ignoring
    ///   case) or when it is a wildcard `*.example.com` and the rule host is
    ///   one label under it (`shop.example.com`, not `a.shop.example.com`,
    ///   not `example.com`), as certificates match.
    ///
    /// It does not fire:
    /// - for rules without `host` (they match any host) when `spec.tls` has
    ///   entries, nor for any host when a `spec.tls` entry lists no `hosts`
    ///   (such an entry applies to the controller's default host, so kaegis
    ///   cannot tell which names it covers);
    /// - when the controller is given its certificate by annotation instead
    ///   of `spec.tls`: `alb.ingress.kubernetes.io/certificate-arn`, or
    ///   `alb.ingress.kubernetes.io/listen-ports` with an `HTTPS` listener
    ///   (AWS Load Balancer Controller), `networking.gke.io/managed-certificates`
    ///   or `ingress.gcp.kubernetes.io/pre-shared-cert` (GKE),
    ///   `appgw.ingress.kubernetes.io/appgw-ssl-certificate` (Azure
    ///   Application Gateway), `traefik.ingress.kubernetes.io/router.tls:
    ///   "true"` or `traefik.ingress.kubernetes.io/router.tls.certresolver`
    ///   (Traefik);
    /// - for the temporary Ingresses cert-manager creates to answer ACME
    ///   HTTP-01 challenges (label `acme.cert-manager.io/http01-solver:
    ///   "true"`), which must be plain HTTP.
    ///
    /// ## Why
    /// Without TLS, everything between the client and the ingress
    /// controller (passwords, session cookies, API tokens, personal data)
    /// crosses the network in clear text, readable and changeable by anyone
    /// on the path: a shared Wi-Fi, a compromised router, a cloud network
    /// tap.
    ///
    /// ## How to fix
    /// List every host under `spec.tls` with the Secret that holds its
    /// certificate (cert-manager can issue it):
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: shop
    ///   annotations:
    ///     cert-manager.io/cluster-issuer: letsencrypt
    /// spec:
    ///   ingressClassName: nginx
    ///   tls:
    ///   - hosts: [shop.example.com]
    ///     secretName: shop-tls
    ///   rules:
    ///   - host: shop.example.com
    ///     http:
    ///       paths:
    ///       - path: /
    ///         pathType: Prefix
    ///         backend:
    ///           service: {name: shop, port: {number: 80}}
    /// ```
    pub struct IngressTls {
        code: "KG508",
        slug: "ingress-tls",
        title: "Ingresses must serve their hosts over TLS",
        severity: Severity::Medium,
        area: Area::Network,
        kinds: &["Ingress"],
        profiles: HARDENING,
        references: &[
            nsa("Network separation and hardening"),
            mitre("T1040 Network Sniffing"),
            k8s("Ingress TLS", "https://kubernetes.io/docs/concepts/services-networking/ingress/#tls"),
        ],
    }
}

/// Annotations by which a controller gets its certificate outside
/// `spec.tls`; `None`: any non-empty value.
const CONTROLLER_TLS: &[(&str, Option<&str>)] = &[
    ("alb.ingress.kubernetes.io/certificate-arn", None),
    ("networking.gke.io/managed-certificates", None),
    ("ingress.gcp.kubernetes.io/pre-shared-cert", None),
    ("appgw.ingress.kubernetes.io/appgw-ssl-certificate", None),
    ("traefik.ingress.kubernetes.io/router.tls", Some("true")),
    (
        "traefik.ingress.kubernetes.io/router.tls.certresolver",
        None,
    ),
];

fn tls_by_annotation(obj: &Object) -> bool {
    let text = |key: &str| obj.annotation(key).map(str::trim).filter(|v| !v.is_empty());
    CONTROLLER_TLS.iter().any(|(key, want)| {
        text(key).is_some_and(|v| want.is_none_or(|w| v.eq_ignore_ascii_case(w)))
    }) || text("alb.ingress.kubernetes.io/listen-ports").is_some_and(|v| v.contains("HTTPS"))
}

/// A rule's `host`, when it names one.
fn host_of(rule: &Node) -> Option<&str> {
    rule.get("host")
        .and_then(Node::as_str)
        .filter(|h| !h.is_empty())
}

impl IngressTls {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if obj.id.kind != "Ingress" || !matches!(obj.group(), "networking.k8s.io" | "extensions") {
            return;
        }
        let solver = obj
            .root
            .get_path(&["metadata", "labels", "acme.cert-manager.io/http01-solver"])
            .and_then(Node::as_str);
        if solver == Some("true") || tls_by_annotation(obj) {
            return;
        }
        let Some(spec) = obj.root.get("spec") else {
            return;
        };
        let tls = spec.get("tls").map_or(&[][..], Node::items);
        let rules = spec.get("rules").map_or(&[][..], Node::items);
        if tls.is_empty() {
            let hosts: Vec<&str> = rules.iter().filter_map(host_of).collect();
            let served = if hosts.is_empty() {
                "every host is served over plain HTTP".to_owned()
            } else {
                format!("host(s) {} are served over plain HTTP", hosts.join(", "))
            };
            out.push(Violation::new(
                JsonPath::root().keys(&["spec", "tls"]),
                format!("Ingress has no spec.tls: {served}"),
            ));
            return;
        }
        let mut names: Vec<&str> = Vec::new();
        for entry in tls {
            let hosts = entry.get("hosts").map_or(&[][..], Node::items);
            if hosts.is_empty() {
                return;
            }
            names.extend(hosts.iter().filter_map(Node::as_str));
        }
        for (i, rule) in rules.iter().enumerate() {
            let Some(host) = host_of(rule) else {
                continue;
            };
            if !names.iter().any(|n| tls_name_covers(n, host)) {
                out.push(Violation::new(
                    JsonPath::root().keys(&["spec", "rules"]).index(i).key("host"),
                    format!("host \"{host}\" is not covered by any spec.tls hosts entry: it is served over plain HTTP"),
                ));
            }
        }
    }
}
