//! KG510: Istio PeerAuthentication must not accept plaintext traffic.
use kaegis_core::{Area, Context, JsonPath, Node, Object, Severity, Violation};

use super::{istio, mitre, nsa};
use crate::macros::declare_check;
use crate::refs::HARDENING;

declare_check! {
    /// ## What
    /// An Istio `PeerAuthentication` (`security.istio.io`) must not let the
    /// workloads it applies to accept plaintext traffic. The check reports:
    /// - `spec.mtls.mode: PERMISSIVE` (mutual TLS and plaintext both
    ///   accepted) or `DISABLE` (mutual TLS off);
    /// - the same two modes under `spec.portLevelMtls.<port>.mode`, port by
    ///   port.
    ///
    /// `STRICT` passes. `UNSET`, or no `mtls` at all, passes too: it
    /// inherits the mode of the namespace-wide or mesh-wide policy, which
    /// is reported where it is written. (With no PeerAuthentication at all,
    /// Istio behaves as PERMISSIVE; kaegis reports only what a manifest
    /// says.) The check has one severity for both modes; its message names
    /// the mode found.
    ///
    /// Port exceptions are sometimes needed, e.g. a metrics port scraped by
    /// a Prometheus outside the mesh. Waive them on the object with a reason
    /// (`kaegis.dev/ignore: istio-mtls-strict`, `kaegis.dev/ignore-reason`).
    ///
    /// ## Why
    /// In PERMISSIVE mode a sidecar accepts plaintext connections next to
    /// mutual TLS: any pod, in or out of the mesh, can call the workload
    /// without a certificate, so the caller's identity is unproven, the
    /// AuthorizationPolicies that rely on it (`principals`, `namespaces`)
    /// can be bypassed, and the traffic can be read on the wire. DISABLE
    /// turns mutual TLS off altogether. PERMISSIVE is a migration step, not
    /// a place to stay.
    ///
    /// ## How to fix
    /// Require mutual TLS mesh-wide (in Istio's root namespace), and keep
    /// namespace or workload policies STRICT:
    /// ```yaml
    /// apiVersion: security.istio.io/v1
    /// kind: PeerAuthentication
    /// metadata:
    ///   name: default
    ///   namespace: istio-system
    /// spec:
    ///   mtls:
    ///     mode: STRICT
    /// ```
    pub struct IstioMtlsStrict {
        code: "KG510",
        slug: "istio-mtls-strict",
        title: "Istio PeerAuthentication must require mutual TLS",
        severity: Severity::High,
        area: Area::Network,
        kinds: &["PeerAuthentication"],
        profiles: HARDENING,
        references: &[
            nsa("Network separation and hardening"),
            mitre("T1557 Adversary-in-the-Middle"),
            istio(
                "PeerAuthentication",
                "https://istio.io/latest/docs/reference/config/security/peer_authentication/"
            ),
            istio(
                "Mutual TLS migration",
                "https://istio.io/latest/docs/tasks/security/authentication/mtls-migration/"
            ),
        ],
    }
}

/// The words for a mode this check reports; `None` for the others.
fn weakness(mode: &str) -> Option<&'static str> {
    if mode.eq_ignore_ascii_case("PERMISSIVE") {
        Some("PERMISSIVE: plaintext connections are accepted next to mutual TLS")
    } else if mode.eq_ignore_ascii_case("DISABLE") {
        Some("DISABLE: mutual TLS is off and only plaintext is accepted")
    } else {
        None
    }
}

impl IstioMtlsStrict {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if obj.id.kind != "PeerAuthentication" || obj.group() != "security.istio.io" {
            return;
        }
        let Some(spec) = obj.root.get("spec") else {
            return;
        };
        if let Some(mode) = spec.get_path(&["mtls", "mode"]).and_then(Node::as_str)
            && let Some(words) = weakness(mode)
        {
            out.push(Violation::new(
                JsonPath::root().keys(&["spec", "mtls", "mode"]),
                format!("mtls.mode is {words}"),
            ));
        }
        let Some(ports) = spec.get("portLevelMtls") else {
            return;
        };
        for entry in ports.entries() {
            if let Some(mode) = entry.value.get("mode").and_then(Node::as_str)
                && let Some(words) = weakness(mode)
            {
                out.push(Violation::new(
                    JsonPath::root()
                        .keys(&["spec", "portLevelMtls"])
                        .key(&entry.key)
                        .key("mode"),
                    format!("port {} mtls mode is {words}", entry.key),
                ));
            }
        }
    }
}
