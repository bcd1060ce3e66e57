//! KG301: Prefer Secrets mounted as files over Secrets in environment
//! variables.
use kaegis_core::{Area, Context, Node, Object, PodSpecView, Severity, Violation};

use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis, k8s, mitre};

declare_check! {
    /// ## What
    /// Fires for every environment variable of any container (init, regular,
    /// ephemeral) whose value comes from a Secret key:
    /// `env[].valueFrom.secretKeyRef`. One finding per variable, naming the
    /// Secret and the key. Variables from ConfigMaps (`configMapKeyRef`), the
    /// downward API (`fieldRef`, `resourceFieldRef`) and literal values are
    /// not this check's business (hard-coded credentials are
    /// `credentials-in-env`'s).
    ///
    /// ## Why
    /// An environment variable is a poor place for a secret: every process
    /// the container starts inherits it, it can be read from
    /// `/proc/<pid>/environ` by anything running as the same user, crash
    /// reporters, debug endpoints and start-up logs routinely dump the
    /// environment, and a change to the Secret is never seen until the pod
    /// restarts. A Secret mounted as a file is read only when needed, can be
    /// given tight file permissions, and is updated in place by the kubelet.
    /// The CIS Kubernetes Benchmark (5.4.1) recommends secrets as files over
    /// secrets as environment variables.
    ///
    /// ## How to fix
    /// Mount the Secret read-only and point the application at the file
    /// (many images accept a `*_FILE` variable for this):
    /// ```yaml
    /// containers:
    /// - name: app
    ///   env:
    ///   - name: DB_PASSWORD_FILE
    ///     value: /etc/db/password
    ///   volumeMounts:
    ///   - name: db
    ///     mountPath: /etc/db
    ///     readOnly: true
    /// volumes:
    /// - name: db
    ///   secret:
    ///     secretName: db
    ///     defaultMode: 0400
    /// ```
    pub struct SecretEnvVar {
        code: "KG301",
        slug: "secret-env-var",
        title: "Prefer Secrets as files over Secrets in environment variables",
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

fn text(n: Option<&Node>) -> &str {
    n.and_then(Node::as_str).unwrap_or("")
}

impl SecretEnvVar {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for c in pod.containers() {
            let Some(env) = c.node.get("env") else {
                continue;
            };
            for (i, var) in env.items().iter().enumerate() {
                let Some(r) = var.get_path(&["valueFrom", "secretKeyRef"]) else {
                    continue;
                };
                if !r.is_map() {
                    continue;
                }
                out.push(Violation::new(
                    c.path()
                        .key("env")
                        .index(i)
                        .keys(&["valueFrom", "secretKeyRef"]),
                    format!(
                        "{} takes env {} from key \"{}\" of Secret \"{}\"",
                        c.describe(),
                        text(var.get("name")),
                        text(r.get("key")),
                        text(r.get("name")),
                    ),
                ));
            }
        }
    }
}
