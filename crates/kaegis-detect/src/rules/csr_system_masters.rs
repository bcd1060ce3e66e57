//! KD306: a certificate for the `system:masters` group requested or
//! approved.
use base64::Engine as _;
use kaegis_core::Severity;
use serde_json::Value;

use crate::event::Event;
use crate::identity::is_control_plane;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};

declare_rule! {
    /// ## What
    /// Reads the PKCS#10 request (`spec.request`, base64 of PEM) of a
    /// CertificateSigningRequest and alerts when its subject names the
    /// Organization `system:masters`:
    /// - critical when the CSR is approved (an `update` of
    ///   `certificatesigningrequests/approval` whose body holds an
    ///   `Approved` condition with status `True`), whoever approves it;
    /// - high when such a CSR is created by an identity outside the
    ///   control plane (nobody but an attacker, or a setup script that
    ///   should be looked at, asks for one).
    ///
    /// The rule reads the request body, so CertificateSigningRequests must
    /// be logged at level `Request`; when an approval's body lacks
    /// `spec.request`, the response body (level `RequestResponse`) is read.
    ///
    /// ## Why
    /// The API server trusts the Organization of a client certificate as
    /// the user's groups, and `system:masters` is the group that bypasses
    /// authorization entirely — no RBAC rule applies to it and no binding
    /// can be removed to revoke it. A certificate cannot be revoked either:
    /// it is valid until it expires. An approved CSR for `system:masters`
    /// is a permanent, unrevocable cluster-admin credential, and CSR
    /// approval is a right that is granted more often than understood.
    ///
    /// ## How to respond
    /// Deny or delete the CSR if it is not yet issued. If it was approved,
    /// consider the credential live until the certificate expires: the
    /// only remedies are rotating the cluster's client CA (all client
    /// certificates with it) or waiting out a short lifetime. Find out how
    /// the approver got `certificatesigningrequests/approval` and `approve`
    /// on the signer, and restrict approval to named signers:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: csr-approver-kubelet-serving}
    /// rules:
    /// - apiGroups: [certificates.k8s.io]
    ///   resources: [certificatesigningrequests/approval]
    ///   verbs: [update]
    /// - apiGroups: [certificates.k8s.io]
    ///   resources: [signers]
    ///   resourceNames: [kubernetes.io/kubelet-serving]
    ///   verbs: [approve]
    /// ```
    pub struct CsrSystemMasters {
        code: "KD306",
        slug: "csr-system-masters",
        title: "A certificate for the system:masters group was requested or approved",
        severity: Severity::Critical,
        tactic: "Privilege Escalation",
        mitre: &[
            Technique { id: "T1078", name: "Valid Accounts" },
            Technique { id: "T1649", name: "Steal or Forge Authentication Certificates" },
        ],
        needs: &[
            Need { group: "certificates.k8s.io", resources: &["certificatesigningrequests/approval"], verbs: &["update"], level: Level::Request },
            Need { group: "certificates.k8s.io", resources: &["certificatesigningrequests"], verbs: &["create"], level: Level::Request },
        ],
    }
}

/// The DER encoding of OID 2.5.4.10 (organizationName).
const ORGANIZATION_OID: &[u8] = &[0x06, 0x03, 0x55, 0x04, 0x0A];

/// The organizations in the subject (and anywhere else) of a DER
/// structure: the string that follows each organizationName OID.
fn organizations(der: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = der;
    while let Some(i) = memchr::memmem::find(rest, ORGANIZATION_OID) {
        let after = &rest[i + ORGANIZATION_OID.len()..];
        // UTF8String, PrintableString, T61String, IA5String, BMPString.
        if let [tag, len, body @ ..] = after
            && matches!(tag, 0x0C | 0x13 | 0x14 | 0x16 | 0x1E)
            && *len < 0x80
            && let Some(value) = body.get(..usize::from(*len))
        {
            out.push(value);
        }
        rest = after;
    }
    out
}

/// The DER of the first PEM block in `pem`.
fn pem_der(pem: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(pem).ok()?;
    let start = text.find("-----BEGIN")?;
    let body = &text[start..];
    let body = &body[body.find('\n')? + 1..];
    let body = &body[..body.find("-----END")?];
    let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// True when a CertificateSigningRequest object asks for `system:masters`.
fn asks_for_masters(csr: &Value) -> Option<bool> {
    let request = csr.pointer("/spec/request")?.as_str()?;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(request.trim())
        .ok()?;
    let der = pem_der(&pem)?;
    Some(organizations(&der).contains(&&b"system:masters"[..]))
}

fn approved(csr: &Value) -> bool {
    csr.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|conds| {
            conds.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some("Approved")
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

impl CsrSystemMasters {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        let verb = &*ev.verb;
        let approval = match (verb, ev.subresource()) {
            ("update", "approval") => true,
            ("create", "") => false,
            _ => return,
        };
        if ev.resource() != "certificatesigningrequests"
            || ev.api_group() != "certificates.k8s.io"
            || !ev.succeeded()
        {
            return;
        }
        if !approval && is_control_plane(ev.acting_user(), cx.settings) {
            return;
        }
        let Some(body) = ev.request_json() else {
            return;
        };
        if approval && !approved(&body) {
            return;
        }
        let masters = asks_for_masters(&body)
            .or_else(|| ev.response_json().and_then(|r| asks_for_masters(&r)));
        if masters != Some(true) {
            return;
        }
        let name = ev.name_in(&body).unwrap_or("(generated name)");
        let user = &ev.acting_user().username;
        let hit = if approval {
            Hit::new(
                format!(
                    "{user} approved CertificateSigningRequest {name} for Organization system:masters"
                ),
                format!("approve/{name}"),
            )
        } else {
            let signer = body
                .pointer("/spec/signerName")
                .and_then(Value::as_str)
                .unwrap_or("?");
            Hit::new(
                format!("{user} created CertificateSigningRequest {name} for Organization system:masters (signer {signer})"),
                format!("create/{name}"),
            )
            .severity(Severity::High)
        };
        out.push(hit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organizations_are_read_from_der_without_panicking() {
        let mut der = vec![0x30, 0x20];
        der.extend_from_slice(ORGANIZATION_OID);
        der.extend_from_slice(&[0x0C, 14]);
        der.extend_from_slice(b"system:masters");
        assert_eq!(organizations(&der), vec![&b"system:masters"[..]]);
        // Truncated or odd encodings yield nothing, never a panic.
        for cut in 0..der.len() {
            let _ = organizations(&der[..cut]);
        }
        let mut long = ORGANIZATION_OID.to_vec();
        long.extend_from_slice(&[0x0C, 0x81, 0x05]);
        assert!(organizations(&long).is_empty());
    }

    #[test]
    fn bad_requests_are_not_csrs() {
        for req in ["", "not base64!", "aGVsbG8=", "LS0tLS1CRUdJTg=="] {
            let csr = serde_json::json!({"spec": {"request": req}});
            assert_ne!(asks_for_masters(&csr), Some(true), "{req}");
        }
    }
}
