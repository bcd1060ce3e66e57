//! KD402: a ConfigMap created or changed with credentials in its data.
use kaegis_core::Severity;
use serde_json::Value;

use crate::event::Event;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};

declare_rule! {
    /// ## What
    /// Alerts when a ConfigMap is created, updated or patched and its
    /// `data` holds what looks like a credential:
    /// - a value in a well-known credential format, whatever its key: an
    ///   AWS access key id (`AKIA…`/`ASIA…`), a PEM private key
    ///   (`-----BEGIN … PRIVATE KEY-----`), a Slack token (`xoxb-`,
    ///   `xoxp-`), a GitHub token (`ghp_`, `gho_`, `ghs_`, `github_pat_`),
    ///   a JSON Web Token (`eyJ….eyJ….…`);
    /// - a key named like a credential (`password`, `passwd`, `secret`,
    ///   `token`, `api-key`, `private-key`, `credentials`, in any case and
    ///   with `-`, `_` or `.`), or a `key=value` / `key: value` line of a
    ///   configuration file with such a key, whose value looks like one: at
    ///   least 8 characters, no spaces, not a number or a boolean, not a
    ///   template placeholder (`${…}`, `{{…}}`, `<…>`). Keys that name
    ///   where a credential is rather than holding it (`…-name`, `…-ref`,
    ///   `…-file`, `…-path`, `…-url`, `…-ttl`…) are not reported.
    ///
    /// The alert names the keys and what each looked like, never the
    /// values. The rule reads the request body, so ConfigMaps must be
    /// logged at level `Request` (Request, not Metadata, is safe for
    /// ConfigMaps; keep Secrets at Metadata).
    ///
    /// ## Why
    /// ConfigMaps are not meant for secrets: they are readable by every
    /// role that can `get` configuration (`view` included), shown in
    /// dashboards, printed by `kubectl describe`, copied into Git with the
    /// rest of the manifests, and not encrypted at rest by the API server's
    /// encryption configuration unless configured to be. A credential put
    /// in one is disclosed to far more people and tools than its owner
    /// thinks, and attackers read ConfigMaps first precisely because they
    /// are less guarded than Secrets.
    ///
    /// ## How to respond
    /// Treat the credential as exposed: rotate it, then move it into a
    /// Secret (or an external secret store) and reference it from the pod;
    /// remove it from the ConfigMap and from wherever the manifest is
    /// versioned. For example:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: {name: api-db, namespace: web}
    /// type: Opaque
    /// stringData:
    ///   DB_PASSWORD: "rotated value here"
    /// ---
    /// # in the pod: env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: api-db, key: DB_PASSWORD}}}]
    /// ```
    pub struct ConfigMapCredentials {
        code: "KD402",
        slug: "configmap-credentials",
        title: "A ConfigMap was created or changed with credentials in its data",
        severity: Severity::Medium,
        tactic: "Credential Access",
        mitre: &[
            Technique { id: "T1552.001", name: "Unsecured Credentials: Credentials In Files" },
            Technique { id: "T1552.007", name: "Unsecured Credentials: Container API" },
        ],
        needs: &[Need { group: "", resources: &["configmaps"], verbs: &["create", "update", "patch"], level: Level::Request }],
    }
}

/// Words that make a key a credential's name (compared on the key
/// lower-cased, with `-`, `_` and `.` removed).
const CREDENTIAL_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "credentials",
    "credential",
];

/// Key endings that name where a credential lives, not the credential.
const REFERENCE_SUFFIXES: &[&str] = &[
    "name",
    "ref",
    "file",
    "path",
    "url",
    "uri",
    "endpoint",
    "ttl",
    "expiry",
    "expiration",
    "timeout",
    "length",
    "policy",
    "enabled",
    "type",
    "header",
    "keyid",
    "key_id",
    "namespace",
];

/// The credential format a value has, if any.
fn value_format(v: &str) -> Option<&'static str> {
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY-----") {
        return Some("a PEM private key");
    }
    let bytes = v.as_bytes();
    let token_at = |i: usize, prefix: &[u8], min: usize| {
        bytes[i..].starts_with(prefix)
            && bytes[i + prefix.len()..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
                .count()
                >= min
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
    };
    for i in 0..bytes.len() {
        let b = bytes[i];
        if b == b'A'
            && (token_at(i, b"AKIA", 16) || token_at(i, b"ASIA", 16))
            && bytes[i + 4..i + 20]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            return Some("an AWS access key id");
        }
        if b == b'x' && (token_at(i, b"xoxb-", 10) || token_at(i, b"xoxp-", 10)) {
            return Some("a Slack token");
        }
        if b == b'g'
            && (token_at(i, b"ghp_", 30)
                || token_at(i, b"gho_", 30)
                || token_at(i, b"ghs_", 30)
                || token_at(i, b"github_pat_", 30))
        {
            return Some("a GitHub token");
        }
        if b == b'e' && token_at(i, b"eyJ", 10) && looks_like_jwt(&v[i..]) {
            return Some("a JSON Web Token");
        }
    }
    None
}

fn looks_like_jwt(s: &str) -> bool {
    let token: &str = s
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .next()
        .unwrap_or("");
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3 && parts[1].starts_with("eyJ") && parts.iter().all(|p| p.len() >= 8)
}

/// True when a key names a credential.
fn credential_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    if REFERENCE_SUFFIXES.iter().any(|s| lower.ends_with(s)) {
        return false;
    }
    let squashed: String = lower
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .collect();
    CREDENTIAL_WORDS.iter().any(|w| squashed.contains(w))
}

/// True when a value under a credential's name looks like a credential.
fn credential_value(v: &str) -> bool {
    let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
    let placeholder =
        v.contains("${") || v.contains("{{") || (v.starts_with('<') && v.ends_with('>'));
    let plain = v.chars().all(|c| c.is_ascii_digit() || c == '.')
        || matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "false" | "changeme" | "redacted"
        );
    v.len() >= 8 && !v.contains(char::is_whitespace) && !placeholder && !plain
}

/// What looks like a credential in one `data` entry, if anything.
fn judge_entry(key: &str, value: &str) -> Option<String> {
    if let Some(format) = value_format(value) {
        return Some(format!("key `{key}` ({format})"));
    }
    if credential_key(key) && credential_value(value) {
        return Some(format!("key `{key}` (its name)"));
    }
    // A configuration file: `name=value` or `name: value` lines.
    if value.contains('\n') {
        for line in value.lines() {
            let Some((k, v)) = line.split_once('=').or_else(|| line.split_once(':')) else {
                continue;
            };
            let k = k.trim().trim_matches('"');
            if !k.is_empty()
                && !k.contains(char::is_whitespace)
                && credential_key(k)
                && credential_value(v)
            {
                return Some(format!("key `{key}` (line `{k}`)"));
            }
        }
    }
    None
}

impl ConfigMapCredentials {
    fn judge(&self, ev: &Event<'_>, _cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        let verb = &*ev.verb;
        if !matches!(verb, "create" | "update" | "patch") || !ev.is("configmaps", "") {
            return;
        }
        if ev.request_object.is_none() || !ev.api_group().is_empty() || !ev.succeeded() {
            return;
        }
        let Some(body) = ev.request_json() else {
            return;
        };
        let mut found: Vec<String> = Vec::new();
        let mut judge_map = |data: &Value| {
            for (k, v) in data.as_object().into_iter().flatten() {
                if let Some(f) = v.as_str().and_then(|v| judge_entry(k, v))
                    && !found.contains(&f)
                {
                    found.push(f);
                }
            }
        };
        match &body {
            Value::Array(ops) => {
                // A JSON patch: `/data` replaced whole, or `/data/KEY` set.
                for op in ops {
                    let path = op.get("path").and_then(Value::as_str).unwrap_or("");
                    let Some(value) = op.get("value") else {
                        continue;
                    };
                    if path == "/data" {
                        judge_map(value);
                    } else if let Some(key) = path.strip_prefix("/data/") {
                        let key = key.replace("~1", "/").replace("~0", "~");
                        let mut one = serde_json::Map::new();
                        one.insert(key, value.clone());
                        judge_map(&Value::Object(one));
                    }
                }
            }
            obj => {
                if let Some(data) = obj.get("data") {
                    judge_map(data);
                }
            }
        }
        if found.is_empty() {
            return;
        }
        let ns = ev.namespace();
        let name = ev.name_in(&body).unwrap_or("(generated name)");
        let did = match verb {
            "create" => "created",
            "update" => "updated",
            _ => "patched",
        };
        out.push(Hit::new(
            format!(
                "{} {did} ConfigMap {ns}/{name} with credential-like data: {}",
                ev.acting_user().username,
                found.join(", ")
            ),
            format!("{ns}/{name}"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_by_format_and_by_name() {
        let found = |k: &str, v: &str| judge_entry(k, v);
        assert!(found("x", "id = AKIAIOSFODNN7EXAMPLE").is_some());
        assert!(found("x", "AKIAshort").is_none());
        assert!(found("x", "-----BEGIN RSA PRIVATE KEY-----\nMII…").is_some());
        assert!(found("x", "-----BEGIN CERTIFICATE-----\nMII…").is_none());
        assert!(found("DB_PASSWORD", "Xk9#mQ2vLp7!").is_some());
        for (k, v) in [
            ("DB_PASSWORD", "${DB_PASSWORD}"),
            ("secretName", "api-tls-secret"),
            ("tokenTTL", "3600"),
            ("api_key_file", "/etc/keys/api.key"),
            ("password", "short"),
            ("password", "<set-me-in-a-secret>"),
            ("ENABLE_TOKEN_AUTH", "true"),
        ] {
            assert!(found(k, v).is_none(), "{k}={v}");
        }
        assert!(found("app.properties", "a=b\ndb.password=hunter2hunter2\n").is_some());
        // Never panics on odd text.
        for v in [
            "",
            "A",
            "AKIA",
            "eyJ",
            "xoxb-",
            "ghp_",
            "é€AKIA€",
            "eyJ.eyJ.",
        ] {
            let _ = found("k", v);
        }
    }
}
