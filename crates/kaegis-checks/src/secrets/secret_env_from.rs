//! KG302: Prefer Secrets mounted as files over `envFrom` a Secret.
use kaegis_core::{Area, Context, Node, Object, PodSpecView, Severity, Violation};

use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis, k8s, mitre};

declare_check! {
    /// ## What
    /// Fires for every `envFrom[].secretRef` of any container (init, regular,
    /// ephemeral): the container receives every key of a Secret as an
    /// environment variable. One finding per reference, naming the Secret.
    /// `envFrom[].configMapRef` is not reported.
    ///
    /// ## Why
    /// `envFrom` puts a whole Secret in the environment, with the weaknesses
    /// of secrets in environment variables (inherited by every child
    /// process, readable in `/proc/<pid>/environ`, dumped by crash reports
    /// and debug endpoints, never refreshed) and one more: every key anyone
    /// later adds to that Secret silently becomes part of this container's
    /// environment. The CIS Kubernetes Benchmark (5.4.1) recommends secrets
    /// as files.
    ///
    /// ## How to fix
    /// Mount the Secret as a read-only volume, listing the keys the
    /// container needs:
    /// ```yaml
    /// containers:
    /// - name: app
    ///   volumeMounts:
    ///   - name: api
    ///     mountPath: /etc/api
    ///     readOnly: true
    /// volumes:
    /// - name: api
    ///   secret:
    ///     secretName: api-credentials
    ///     items:
    ///     - key: token
    ///       path: token
    /// ```
    pub struct SecretEnvFrom {
        code: "KG302",
        slug: "secret-env-from",
        title: "Prefer Secrets as files over envFrom a Secret",
        severity: Severity::Medium,
        area: Area::Secrets,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: CIS_HARDENING,
        references: &[
            cis("5.4.1"),
            mitre("T1552 Unsecured Credentials"),
            k8s("Secrets: using Secrets as files from a Pod", "https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod"),
        ],
    }
}

impl SecretEnvFrom {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for c in pod.containers() {
            let Some(env_from) = c.node.get("envFrom") else {
                continue;
            };
            for (i, source) in env_from.items().iter().enumerate() {
                let Some(r) = source.get("secretRef").filter(|r| r.is_map()) else {
                    continue;
                };
                let name = r.get("name").and_then(Node::as_str).unwrap_or("");
                let prefix = source
                    .get("prefix")
                    .and_then(Node::as_str)
                    .map(|p| format!(" (prefix {p})"))
                    .unwrap_or_default();
                out.push(Violation::new(
                    c.path().key("envFrom").index(i).key("secretRef"),
                    format!(
                        "{} takes every key of Secret \"{name}\" as environment variables{prefix}",
                        c.describe()
                    ),
                ));
            }
        }
    }
}
