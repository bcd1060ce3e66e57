//! KG308: No Secret values committed in manifests.
use kaegis_core::{Area, Context, JsonPath, Node, Object, Severity, Violation};

use super::{
    NON_SECRET_LAST_WORDS, decode_base64, find_credential_assignment, find_token, is_core,
    is_credential_name, is_placeholder, is_reference, looks_real, name_words, redacted,
};
use crate::macros::declare_check;
use crate::refs::{HARDENING, k8s, mitre, nsa};

declare_check! {
    /// ## What
    /// Fires for a Secret committed with values: one finding per key of
    /// `data` (decoded from base64 first; a value that is not valid base64
    /// is reported too — it is still a committed value, and the API server
    /// would reject it) or of `stringData`, when the value is:
    ///
    /// - a credential in a known format (an AWS key id, a GitHub, Slack or
    ///   Stripe token, a Google API key, a PEM private key, a JWT, a URL
    ///   with a password), whatever the key;
    /// - anything under a credential-like key (`password`, `api-key`,
    ///   `client_secret`, `ssh-privatekey`, `.dockerconfigjson`…): within a
    ///   Secret no entropy threshold applies, `hunter2` is reported;
    /// - under any other key that does not name public data, a value that
    ///   looks like a secret by itself (no whitespace, not a word, flag or
    ///   number, entropy of at least `minSecretEntropy`), as a Ceph `key`;
    /// - a multi-line configuration file with a credential-like assignment
    ///   in it (`smtp_auth_password: …`).
    ///
    /// Not reported: empty values, placeholders (`<password>`, `changeme`,
    /// `REPLACE_ME`, `xxx`), references and templates (`${VAR}`, `{{ … }}`);
    /// PEM certificates without a private key (`tls.crt`, `ca.crt`); keys
    /// naming public data (`username`, `email`, `host`, `port`, `url`,
    /// `namespace`, `type`, `project`, `client-id`, `POSTGRES_DB`, a
    /// `cipher`) unless the value holds a known credential format;
    /// configuration files without credentials (an `alertmanager.yaml`);
    /// SOPS-encrypted Secrets (a top-level `sops` block); and Secrets of
    /// type `kubernetes.io/service-account-token`, which
    /// `service-account-token-secret` reports.
    ///
    /// The message shows the key and the value's length, never the value.
    ///
    /// ## Why
    /// base64 is an encoding, not encryption: a Secret manifest in a
    /// repository is the credential in plain text, in every clone, fork,
    /// CI cache and backup, forever — deleting the file does not remove it
    /// from history. Rotating it means rotating the credential everywhere.
    ///
    /// ## How to fix
    /// Never commit plaintext Secrets. Keep credentials in an external
    /// secret store and sync them (External Secrets Operator, the Secrets
    /// Store CSI Driver), or commit them encrypted (Sealed Secrets, SOPS),
    /// then rotate any credential that was committed:
    /// ```yaml
    /// apiVersion: external-secrets.io/v1
    /// kind: ExternalSecret
    /// metadata:
    ///   name: db
    /// spec:
    ///   secretStoreRef:
    ///     kind: ClusterSecretStore
    ///     name: vault
    ///   target:
    ///     name: db
    ///   data:
    ///   - secretKey: password
    ///     remoteRef:
    ///       key: prod/db
    ///       property: password
    /// ```
    pub struct SecretInManifest {
        code: "KG308",
        slug: "secret-in-manifest",
        title: "No Secret values committed in manifests",
        severity: Severity::High,
        area: Area::Secrets,
        kinds: &["Secret"],
        profiles: HARDENING,
        references: &[
            mitre("T1552.001 Credentials In Files"),
            nsa("Network separation and hardening: Secrets"),
            k8s("Good practices for Kubernetes Secrets", "https://kubernetes.io/docs/concepts/security/secrets-good-practices/"),
        ],
    }
}

/// The Secret type `service-account-token-secret` reports.
pub(crate) const SA_TOKEN_TYPE: &str = "kubernetes.io/service-account-token";

/// Last words of a key that names public data, not a credential.
const PUBLIC_KEY_WORDS: &[&str] = &[
    "USER",
    "USERNAME",
    "LOGIN",
    "EMAIL",
    "HOST",
    "HOSTNAME",
    "PORT",
    "URL",
    "URI",
    "ENDPOINT",
    "ADDRESS",
    "SERVER",
    "NAMESPACE",
    "REGION",
    "TYPE",
    "PROJECT",
    "NAME",
    "ID",
    "CRT",
    "CERT",
    "CA",
    "DATABASE",
    "DB",
    "CIPHER",
];

/// Public last words also recognised at the end of a run-together word
/// (`azurestorageaccountname`).
const PUBLIC_SUFFIXES: &[&str] = &[
    "USERNAME",
    "USER",
    "EMAIL",
    "HOSTNAME",
    "HOST",
    "PORT",
    "URL",
    "ENDPOINT",
    "ADDRESS",
    "NAMESPACE",
    "REGION",
    "PROJECT",
    "NAME",
    "DATABASE",
];

/// Words that make a key name an identity wherever they are
/// (`auth.username_in`).
const IDENTITY_WORDS: &[&str] = &["USER", "USERNAME", "LOGIN", "EMAIL"];

/// Keys that hold credentials whatever their words say.
const CREDENTIAL_KEYS: &[&str] = &[".dockerconfigjson", ".dockercfg"];

/// True when the text is one or more PEM certificates and no private key.
fn is_public_certificate(text: &str) -> bool {
    text.trim_start().starts_with("-----BEGIN ")
        && text.contains("CERTIFICATE-----")
        && !text.contains("PRIVATE KEY")
}

/// True for a key naming public data: an identity, an address, a kind, a
/// name, a certificate (`username`, `host`, `url`, `type`, `tls.crt`,
/// `client-id`, `POSTGRES_DB`), or talking about a credential without being
/// one (`password-hash`, `token-ttl`).
fn is_public_key(key: &str) -> bool {
    if is_credential_name(key) {
        return false;
    }
    let words = name_words(key);
    let Some(last) = words.last() else {
        return false;
    };
    words.iter().any(|w| IDENTITY_WORDS.contains(&w.as_str()))
        || PUBLIC_KEY_WORDS.contains(&last.as_str())
        || NON_SECRET_LAST_WORDS.contains(&last.as_str())
        || PUBLIC_SUFFIXES
            .iter()
            .any(|s| last.len() > s.len() && last.ends_with(s))
}

/// Why a Secret value is a committed credential, or `None`.
fn judge(key: &str, value: &str, min_entropy: f64) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() || is_placeholder(trimmed) || is_reference(trimmed) {
        return None;
    }
    if let Some(t) = find_token(value, min_entropy) {
        return Some(format!("{} ({})", t.kind, redacted(t.text)));
    }
    if is_public_certificate(trimmed) {
        return None;
    }
    if trimmed.contains('\n') {
        return find_credential_assignment(value, min_entropy).map(|a| {
            format!(
                "a configuration file whose line {} sets {} ({})",
                a.line,
                a.key,
                redacted(a.value)
            )
        });
    }
    let credential = CREDENTIAL_KEYS.contains(&key) || is_credential_name(key);
    let committed = credential || (!is_public_key(key) && looks_real(trimmed, min_entropy));
    committed.then(|| format!("a value committed in plain text ({})", redacted(trimmed)))
}

impl SecretInManifest {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        if !is_core(obj, "Secret") || obj.root.get("sops").is_some() {
            return;
        }
        if obj.root.get("type").and_then(Node::as_str) == Some(SA_TOKEN_TYPE) {
            return;
        }
        let min_entropy = ctx.settings.min_secret_entropy;
        let data = obj.root.get("data").map_or(&[][..], Node::entries);
        for e in data {
            let Some(encoded) = e.value.as_str() else {
                continue;
            };
            let path = JsonPath::root().key("data").key(&e.key);
            match decode_base64(encoded.trim()) {
                Some(bytes) => {
                    let text = String::from_utf8_lossy(&bytes);
                    if let Some(why) = judge(&e.key, &text, min_entropy) {
                        out.push(Violation::new(
                            path,
                            format!("Secret data key \"{}\" holds {why}", e.key),
                        ));
                    }
                }
                None if is_placeholder(encoded) || is_reference(encoded) => {}
                None => out.push(Violation::new(
                    path,
                    format!(
                        "Secret data key \"{}\" holds a committed value that is not valid base64 ({})",
                        e.key,
                        redacted(encoded.trim())
                    ),
                )),
            }
        }
        let string_data = obj.root.get("stringData").map_or(&[][..], Node::entries);
        for e in string_data {
            let Some(value) = e.value.as_str() else {
                continue;
            };
            if let Some(why) = judge(&e.key, value, min_entropy) {
                out.push(Violation::new(
                    JsonPath::root().key("stringData").key(&e.key),
                    format!("Secret stringData key \"{}\" holds {why}", e.key),
                ));
            }
        }
    }
}
