//! KG512: Gateways must not serve a host over plain HTTP only.
use kaegis_core::{Area, Context, JsonPath, Node, Object, Severity, Violation};

use super::{gateway_api, gateway_hostname_covers, istio, mitre, nsa};
use crate::macros::declare_check;
use crate::refs::HARDENING;

declare_check! {
    /// ## What
    /// A Gateway must offer TLS for every host it serves over HTTP. The
    /// check reads two kinds of Gateway:
    /// - Gateway API (`gateway.networking.k8s.io` `Gateway`): a listener
    ///   with `protocol: HTTP` is reported (at its `protocol`) when no
    ///   listener of the same Gateway with `protocol: HTTPS` or `TLS`
    ///   accepts its `hostname`. A listener without `hostname` stands for
    ///   every host and is covered only by an HTTPS/TLS listener without
    ///   `hostname`; a wildcard `*.example.com` accepts every name under
    ///   `example.com` (not `example.com` itself), as the Gateway API
    ///   defines it.
    /// - Istio (`networking.istio.io` `Gateway`): a server whose
    ///   `port.protocol` is `HTTP`, `HTTP2` or `GRPC` (plaintext) and that
    ///   does not set `tls.httpsRedirect: true` is reported (at its
    ///   `port.protocol`) for the `hosts` that no `HTTPS` or `TLS` server of
    ///   the same Gateway covers (`*` is every host; a `namespace/` prefix
    ///   is ignored; `*.example.com` is a suffix).
    ///
    /// An HTTP listener next to an HTTPS listener for the same hosts passes:
    /// that is the usual shape, the HTTP side redirecting to HTTPS (whether
    /// the attached routes really redirect is not verified). Listeners of
    /// other protocols (TCP, UDP, HBONE, implementation-specific ones) are
    /// not read.
    ///
    /// ## Why
    /// A host served only over plain HTTP sends passwords, cookies, tokens
    /// and personal data in clear text between the client and the gateway,
    /// readable and changeable by anyone on the path. A gateway-level
    /// listener is the first hop of every request: TLS there protects all
    /// the routes behind it.
    ///
    /// ## How to fix
    /// Add an HTTPS listener for the hosts, with a certificate Secret, and
    /// keep the HTTP listener only to redirect:
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: Gateway
    /// metadata:
    ///   name: web
    /// spec:
    ///   gatewayClassName: istio
    ///   listeners:
    ///   - name: http
    ///     protocol: HTTP
    ///     port: 80
    ///     hostname: shop.example.com
    ///   - name: https
    ///     protocol: HTTPS
    ///     port: 443
    ///     hostname: shop.example.com
    ///     tls:
    ///       mode: Terminate
    ///       certificateRefs:
    ///       - name: shop-tls
    /// ```
    pub struct GatewayListenerTls {
        code: "KG512",
        slug: "gateway-listener-tls",
        title: "Gateways must not serve a host over plain HTTP only",
        severity: Severity::Medium,
        area: Area::Network,
        kinds: &["Gateway"],
        profiles: HARDENING,
        references: &[
            nsa("Network separation and hardening"),
            mitre("T1040 Network Sniffing"),
            gateway_api("Listener", "https://gateway-api.sigs.k8s.io/reference/spec/#listener"),
            istio(
                "Gateway Server",
                "https://istio.io/latest/docs/reference/config/networking/gateway/#Server"
            ),
        ],
    }
}

impl GatewayListenerTls {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if obj.id.kind != "Gateway" {
            return;
        }
        match obj.group() {
            "gateway.networking.k8s.io" => gateway_api_listeners(obj, out),
            "networking.istio.io" => istio_servers(obj, out),
            _ => {}
        }
    }
}

fn gateway_api_listeners(obj: &Object, out: &mut Vec<Violation>) {
    let listeners = obj
        .root
        .get_path(&["spec", "listeners"])
        .map_or(&[][..], Node::items);
    let text = |l: &'_ Node, k: &str| l.get(k).and_then(Node::as_str).map(str::to_owned);
    let secure: Vec<Option<String>> = listeners
        .iter()
        .filter(|l| matches!(text(l, "protocol").as_deref(), Some("HTTPS" | "TLS")))
        .map(|l| text(l, "hostname").filter(|h| !h.is_empty()))
        .collect();
    for (i, listener) in listeners.iter().enumerate() {
        if text(listener, "protocol").as_deref() != Some("HTTP") {
            continue;
        }
        let hostname = text(listener, "hostname").filter(|h| !h.is_empty());
        let covered = secure
            .iter()
            .any(|s| gateway_hostname_covers(s.as_deref(), hostname.as_deref()));
        if covered {
            continue;
        }
        let name = text(listener, "name").unwrap_or_default();
        let port = text(listener, "port").unwrap_or_else(|| "?".to_owned());
        let hosts = match &hostname {
            Some(h) => format!("host {h}"),
            None => "every host".to_owned(),
        };
        out.push(Violation::new(
            JsonPath::root()
                .keys(&["spec", "listeners"])
                .index(i)
                .key("protocol"),
            format!(
                "listener \"{name}\" serves {hosts} over plain HTTP on port {port} and no HTTPS or TLS listener of this Gateway accepts it"
            ),
        ));
    }
}

/// An Istio server host without its `namespace/` prefix; `None` for `*`.
fn istio_host(host: &str) -> Option<&str> {
    let name = host.rsplit_once('/').map_or(host, |(_, h)| h);
    (name != "*" && !name.is_empty()).then_some(name)
}

fn istio_servers(obj: &Object, out: &mut Vec<Violation>) {
    let servers = obj
        .root
        .get_path(&["spec", "servers"])
        .map_or(&[][..], Node::items);
    let protocol = |s: &'_ Node| {
        s.get_path(&["port", "protocol"])
            .and_then(Node::as_str)
            .map(str::to_ascii_uppercase)
    };
    let hosts_of = |s: &'_ Node| -> Vec<String> {
        s.get("hosts")
            .map_or(&[][..], Node::items)
            .iter()
            .filter_map(Node::as_str)
            .map(str::to_owned)
            .collect()
    };
    let secure: Vec<String> = servers
        .iter()
        .filter(|s| matches!(protocol(s).as_deref(), Some("HTTPS" | "TLS")))
        .flat_map(hosts_of)
        .collect();
    for (i, server) in servers.iter().enumerate() {
        if !matches!(protocol(server).as_deref(), Some("HTTP" | "HTTP2" | "GRPC")) {
            continue;
        }
        let redirect = server
            .get_path(&["tls", "httpsRedirect"])
            .and_then(Node::as_bool);
        if redirect == Some(true) {
            continue;
        }
        let plain: Vec<String> = hosts_of(server)
            .into_iter()
            .filter(|h| {
                !secure
                    .iter()
                    .any(|s| gateway_hostname_covers(istio_host(s), istio_host(h)))
            })
            .collect();
        if plain.is_empty() {
            continue;
        }
        let port = server
            .get_path(&["port", "number"])
            .and_then(Node::as_str)
            .unwrap_or("?");
        let proto = protocol(server).unwrap_or_default();
        let hosts = if plain.iter().any(|h| istio_host(h).is_none()) {
            "every host".to_owned()
        } else {
            format!("host(s) {}", plain.join(", "))
        };
        out.push(Violation::new(
            JsonPath::root()
                .keys(&["spec", "servers"])
                .index(i)
                .keys(&["port", "protocol"]),
            format!(
                "server on port {port} serves {hosts} over plaintext {proto} without httpsRedirect, and no HTTPS or TLS server of this Gateway covers them"
            ),
        ));
    }
}
