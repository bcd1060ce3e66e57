//! KG841: The API server must not serve its API without TLS and authentication.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, k8s};

declare_check! {
    /// ## What
    /// Fails when kube-apiserver runs with `--insecure-port` set to anything
    /// but 0, or with `--insecure-bind-address` (flags of releases before
    /// 1.24; an API server that still takes them is old and serves a
    /// second, plain-HTTP API).
    ///
    /// ## Why
    /// The insecure port serves the whole API over plain HTTP with no
    /// authentication and no authorization: every request is cluster-admin.
    /// Anything that reaches it, a pod on the host network or a process on
    /// the node, owns the cluster.
    ///
    /// ## How to fix
    /// Remove both flags (or set `--insecure-port=0`) and upgrade to a
    /// supported release, which no longer has them:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --secure-port=6443
    /// ```
    pub struct ApiserverInsecurePort {
        code: "KG841",
        slug: "apiserver-insecure-port",
        title: "The API server must not serve its API without TLS and authentication",
        severity: Severity::Critical,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[k8s(
            "Controlling access to the Kubernetes API: API server ports and IPs",
            "https://kubernetes.io/docs/concepts/security/controlling-access/#api-server-ports-and-ips",
        )],
    }
}

impl ApiserverInsecurePort {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        if let Some(f) = component::flag(obj, "insecure-port")
            && f.value.trim() != "0"
        {
            out.push(Violation::new(
                f.path,
                format!(
                    "the API server serves its whole API without TLS or authentication on port {}",
                    f.value
                ),
            ));
        }
        if let Some(f) = component::flag(obj, "insecure-bind-address") {
            out.push(Violation::new(
                f.path,
                format!("--insecure-bind-address={}: an insecure, unauthenticated listener is configured", f.value),
            ));
        }
    }
}
