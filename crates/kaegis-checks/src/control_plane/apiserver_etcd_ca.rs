//! KG835: The API server must verify etcd's certificate.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-apiserver runs with `--etcd-cafile`.
    ///
    /// ## Why
    /// Without etcd's CA, the API server cannot verify it talks to the real
    /// etcd: an impostor on the network would receive every write, Secrets
    /// included, and could answer reads with anything.
    ///
    /// ## How to fix
    /// Give the API server etcd's CA:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt
    /// ```
    pub struct ApiserverEtcdCa {
        code: "KG835",
        slug: "apiserver-etcd-ca",
        title: "The API server must verify etcd's certificate",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.26")],
    }
}

impl ApiserverEtcdCa {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        component::require_set(
            obj,
            out,
            &["etcd-cafile"],
            "etcd's serving certificate is not verified",
        );
    }
}
