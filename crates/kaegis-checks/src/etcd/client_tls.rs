//! KG860: etcd must serve clients over TLS.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, flags_path, is_set};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when etcd is started without `--cert-file` or without `--key-
    /// file` (flags, `ETCD_*` environment variables or its config file, as
    /// `kaegis node` resolves them).
    ///
    /// ## Why
    /// etcd holds every object of the cluster, Secrets included, and the API
    /// server reads and writes them over the client port. Without TLS that
    /// traffic, and every Secret in it, crosses the network in clear text.
    ///
    /// ## How to fix
    /// Give etcd a serving certificate and key for its client port:
    /// ```yaml
    /// # /etc/kubernetes/manifests/etcd.yaml
    /// spec:
    ///   containers:
    ///   - name: etcd
    ///     command:
    ///     - etcd
    ///     - --cert-file=/etc/kubernetes/pki/etcd/server.crt
    ///     - --key-file=/etc/kubernetes/pki/etcd/server.key
    /// ```
    pub struct EtcdClientTls {
        code: "KG860",
        slug: "etcd-client-tls",
        title: "etcd must serve clients over TLS",
        severity: Severity::Critical,
        area: Area::Etcd,
        kinds: &["Etcd"],
        profiles: CIS_HARDENING,
        references: &[cis("2.1")],
    }
}

impl EtcdClientTls {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Etcd") {
            return;
        }
        for name in ["cert-file", "key-file"] {
            if !is_set(obj, name) {
                out.push(Violation::new(
                    flags_path(),
                    format!("etcd serves clients without TLS: --{name} is not set"),
                ));
            }
        }
    }
}
