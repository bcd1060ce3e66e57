//! KG832: The API server must authenticate to etcd with a client certificate.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-apiserver runs with both `--etcd-certfile` and
    /// `--etcd-keyfile`.
    ///
    /// ## Why
    /// etcd should accept only clients with certificates (see `etcd-client-
    /// cert-auth`); the API server then needs one, and without it etcd must
    /// be open to any client.
    ///
    /// ## How to fix
    /// Give the API server etcd client credentials:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt
    ///     - --etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key
    /// ```
    pub struct ApiserverEtcdClientCert {
        code: "KG832",
        slug: "apiserver-etcd-client-certificate",
        title: "The API server must authenticate to etcd with a client certificate",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.23")],
    }
}

impl ApiserverEtcdClientCert {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        component::require_set(
            obj,
            out,
            &["etcd-certfile", "etcd-keyfile"],
            "the API server talks to etcd without a client certificate",
        );
    }
}
