//! KG306: No credentials in ConfigMaps.
use kaegis_core::{Area, Context, Node, Object, Severity, Violation};

use super::{
    decode_base64, find_credential_assignment, find_token, is_core, is_credential_name, looks_real,
    redacted,
};
use crate::macros::declare_check;
use crate::refs::{HARDENING, k8s, mitre, nsa};

declare_check! {
    /// ## What
    /// Fires for a ConfigMap key (one finding per key, the first reason
    /// found) whose value holds a credential:
    ///
    /// - the value contains a credential in a known format — an AWS access
    ///   key id, a GitHub, Slack or Stripe token, a Google API key, a PEM
    ///   private key (plain or base64-encoded), a JSON Web Token, a URL with
    ///   a real-looking password — anywhere, embedded files included; for
    ///   `binaryData`, after decoding;
    /// - or the key is credential-like (`password`, `apiKey`, `db.token`,
    ///   `CLIENT_SECRET`…) and its one-line value looks real;
    /// - or the value is an embedded configuration file (YAML, INI,
    ///   properties, dotenv, TOML, JSON) with a line such as
    ///   `password: …`, `db.password=…` or `"apiKey": "…"` assigning a
    ///   real-looking value to a credential-like key.
    ///
    /// "Looks real" is the same judgement as `credentials-in-env`'s: not
    /// empty, not a reference (`${VAR}`, `$(VAR)`, templates, secret store
    /// references), not a placeholder, not a path, flag, number, plain URL
    /// or host name, no whitespace, and an entropy of at least
    /// `minSecretEntropy` bits per character. Keys that only talk about a
    /// credential (`password_file`, `token_url`, `auth_enabled`,
    /// `secretName`) are not credential-like, comments are skipped, and
    /// values with brackets, parentheses or semicolons are taken for code.
    /// Public certificates are not credentials.
    ///
    /// ## Why
    /// ConfigMaps are meant to be read: they are shown by `kubectl describe`,
    /// readable by every role that may `get` ConfigMaps (often much wider
    /// than Secret access), not encrypted at rest even when Secrets are, and
    /// copied freely into logs, dashboards and support bundles. A credential
    /// in one is a credential disclosed.
    ///
    /// ## How to fix
    /// Move the credential to a Secret and let the application read it from
    /// a file or from its own variable, keeping the rest of the
    /// configuration in the ConfigMap:
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: app-config
    /// data:
    ///   app.ini: |
    ///     [database]
    ///     host = db
    ///     password_file = /etc/db/password
    /// ```
    pub struct CredentialsInConfigMap {
        code: "KG306",
        slug: "credentials-in-configmap",
        title: "No credentials in ConfigMaps",
        severity: Severity::High,
        area: Area::Secrets,
        kinds: &["ConfigMap"],
        profiles: HARDENING,
        references: &[
            mitre("T1552.001 Credentials In Files"),
            nsa("Network separation and hardening: Secrets"),
            k8s("ConfigMaps are not for confidential data", "https://kubernetes.io/docs/concepts/configuration/configmap/"),
        ],
    }
}

impl CredentialsInConfigMap {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        if !is_core(obj, "ConfigMap") {
            return;
        }
        let min_entropy = ctx.settings.min_secret_entropy;
        let data = obj.root.get("data").map_or(&[][..], Node::entries);
        for e in data {
            let Some(value) = e.value.as_str() else {
                continue;
            };
            let key = &*e.key;
            let message = if let Some(t) = find_token(value, min_entropy) {
                format!(
                    "ConfigMap key \"{key}\" holds {} ({})",
                    t.kind,
                    redacted(t.text)
                )
            } else if !value.contains('\n')
                && is_credential_name(key)
                && looks_real(value, min_entropy)
            {
                format!(
                    "ConfigMap key \"{key}\" holds a hard-coded credential ({})",
                    redacted(value.trim())
                )
            } else if let Some(a) = find_credential_assignment(value, min_entropy) {
                format!(
                    "line {} of ConfigMap key \"{key}\" sets {} to a hard-coded credential ({})",
                    a.line,
                    a.key,
                    redacted(a.value)
                )
            } else {
                continue;
            };
            out.push(Violation::new(obj_path("data", key), message));
        }
        let binary = obj.root.get("binaryData").map_or(&[][..], Node::entries);
        for e in binary {
            let Some(decoded) = e.value.as_str().and_then(decode_base64) else {
                continue;
            };
            let text = String::from_utf8_lossy(&decoded);
            if let Some(t) = find_token(&text, min_entropy) {
                out.push(Violation::new(
                    obj_path("binaryData", &e.key),
                    format!(
                        "ConfigMap binaryData key \"{}\" holds {} ({})",
                        e.key,
                        t.kind,
                        redacted(t.text)
                    ),
                ));
            }
        }
    }
}

fn obj_path(field: &str, key: &str) -> kaegis_core::JsonPath {
    kaegis_core::JsonPath::root().key(field).key(key)
}
