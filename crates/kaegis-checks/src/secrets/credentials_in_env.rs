//! KG305: No credentials hard-coded in environment variables.
use kaegis_core::{Area, Context, Node, Object, PodSpecView, Severity, Violation};

use super::{find_token, is_credential_name, looks_real, redacted};
use crate::macros::declare_check;
use crate::refs::{HARDENING, k8s, mitre, nsa};

declare_check! {
    /// ## What
    /// Fires for an `env[].value` of any container (init, regular,
    /// ephemeral) that is a hard-coded credential, in one of two ways:
    ///
    /// - the value contains a credential in a known format, whatever the
    ///   variable's name: an AWS access key id (`AKIA…`, `ASIA…`), a GitHub
    ///   token (`ghp_`, `gho_`, `ghs_`, `ghu_`, `ghr_`, `github_pat_`), a
    ///   Slack token (`xoxb-`…), a Google API key (`AIza…`), a Stripe live
    ///   key (`sk_live_`), a PEM private key (plain or base64-encoded), a
    ///   JSON Web Token, or a URL with a real-looking password in it;
    /// - or the name is credential-like (PASSWORD, PASSWD, SECRET, TOKEN,
    ///   API_KEY, PRIVATE_KEY, ACCESS_KEY, CLIENT_SECRET, CREDENTIALS,
    ///   AUTH…, in any case and with `_`, `-`, `.` or camelCase) and the value
    ///   looks real.
    ///
    /// It does not fire for names that only talk about a credential
    /// (`SECRET_NAME`, `TOKEN_FILE`, `PASSWORD_REQUIRED`, `AUTH_URL`,
    /// `AWS_ACCESS_KEY_ID` — the key id format is caught by itself), nor for
    /// values that are not credentials: empty, references (`$(VAR)`,
    /// `${VAR}`, templates, `arn:aws:secretsmanager:…`, `vault:…`),
    /// placeholders (`<password>`, `changeme`, `REPLACE_ME`, `xxx`,
    /// `GOOGLE_API_KEY_VAL`), file paths, booleans and numbers (`true`,
    /// `3600`, `30s`), plain URLs, host names and dotted identifiers, the
    /// names of Secret objects (`db-password`), anything with whitespace,
    /// and values whose Shannon entropy is below the `minSecretEntropy`
    /// parameter (3.0 bits per character by default, which lets `admin`
    /// through and stops `Zq8rT2vW9pL5xK`). Values from `valueFrom` are not
    /// literal and never reported.
    ///
    /// Messages never carry the value: at most its first four characters
    /// (for values of 16 characters or more) and its length.
    ///
    /// ## Why
    /// A credential written into a manifest is in the repository's history
    /// for good, in every fork and CI log, in the object the API server
    /// stores unencrypted (it is not a Secret, so encryption at rest does not
    /// cover it) and in the output of `kubectl get -o yaml` for anyone who
    /// may read the workload. It cannot be rotated without a redeploy, and
    /// it is usually the same in every environment.
    ///
    /// ## How to fix
    /// Keep the credential in a Secret (created out of band, by an external
    /// secret store operator or from a sealed/encrypted manifest), and mount
    /// it as a file:
    /// ```yaml
    /// env:
    /// - name: DB_PASSWORD_FILE
    ///   value: /etc/db/password
    /// volumeMounts:
    /// - name: db
    ///   mountPath: /etc/db
    ///   readOnly: true
    /// ```
    pub struct CredentialsInEnv {
        code: "KG305",
        slug: "credentials-in-env",
        title: "No credentials hard-coded in environment variables",
        severity: Severity::High,
        area: Area::Secrets,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: HARDENING,
        references: &[
            mitre("T1552 Unsecured Credentials"),
            nsa("Network separation and hardening: Secrets"),
            k8s("Good practices for Kubernetes Secrets", "https://kubernetes.io/docs/concepts/security/secrets-good-practices/"),
        ],
    }
}

impl CredentialsInEnv {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        let min_entropy = ctx.settings.min_secret_entropy;
        for c in pod.containers() {
            let Some(env) = c.node.get("env") else {
                continue;
            };
            for (i, var) in env.items().iter().enumerate() {
                let Some(value) = var.get("value").and_then(Node::as_str) else {
                    continue;
                };
                let name = var.get("name").and_then(Node::as_str).unwrap_or("");
                let message = if let Some(token) = find_token(value, min_entropy) {
                    format!(
                        "{} has {} hard-coded in env {name} ({})",
                        c.describe(),
                        token.kind,
                        redacted(token.text)
                    )
                } else if is_credential_name(name) && looks_real(value, min_entropy) {
                    format!(
                        "{} has a credential hard-coded in env {name} ({})",
                        c.describe(),
                        redacted(value.trim())
                    )
                } else {
                    continue;
                };
                out.push(Violation::new(
                    c.path().key("env").index(i).key("value"),
                    message,
                ));
            }
        }
    }
}
