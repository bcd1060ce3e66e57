//! KG862: etcd must not serve clients with self-signed certificates.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, bool_flag, flag_or_flags};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when etcd's `--auto-tls` is true (flag, `ETCD_AUTO_TLS` or the
    /// config file), which makes etcd generate its own client certificate.
    ///
    /// ## Why
    /// With auto TLS etcd generates a self-signed certificate that clients
    /// cannot verify, so the encryption it offers does not protect against a
    /// man in the middle, and it usually stands in for a missing client-
    /// certificate setup.
    ///
    /// ## How to fix
    /// Remove `--auto-tls` and give etcd a certificate from its CA (`--cert-
    /// file`, `--key-file`).
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
    pub struct EtcdAutoTls {
        code: "KG862",
        slug: "etcd-auto-tls",
        title: "etcd must not serve clients with self-signed certificates",
        severity: Severity::High,
        area: Area::Etcd,
        kinds: &["Etcd"],
        profiles: CIS_HARDENING,
        references: &[cis("2.3")],
    }
}

impl EtcdAutoTls {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Etcd") {
            return;
        }
        if bool_flag(obj, "auto-tls", false) != Ok(false) {
            out.push(Violation::new(
                flag_or_flags(obj, "auto-tls"),
                "etcd serves clients with a self-signed certificate (--auto-tls)",
            ));
        }
    }
}
