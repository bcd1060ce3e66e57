//! KG863: etcd must talk to its peers over TLS.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, flags_path, is_set};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when etcd is started without `--peer-cert-file` or without
    /// `--peer-key-file`.
    ///
    /// ## Why
    /// etcd members replicate every write, Secrets included, to each other
    /// over the peer port. Without TLS the replication stream is readable and
    /// forgeable on the network between control-plane nodes.
    ///
    /// ## How to fix
    /// Give etcd a peer certificate and key (kubeadm does, even for a single
    /// member):
    /// ```yaml
    /// # /etc/kubernetes/manifests/etcd.yaml
    /// spec:
    ///   containers:
    ///   - name: etcd
    ///     command:
    ///     - etcd
    ///     - --peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt
    ///     - --peer-key-file=/etc/kubernetes/pki/etcd/peer.key
    /// ```
    pub struct EtcdPeerTls {
        code: "KG863",
        slug: "etcd-peer-tls",
        title: "etcd must talk to its peers over TLS",
        severity: Severity::High,
        area: Area::Etcd,
        kinds: &["Etcd"],
        profiles: CIS_HARDENING,
        references: &[cis("2.4")],
    }
}

impl EtcdPeerTls {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Etcd") {
            return;
        }
        for name in ["peer-cert-file", "peer-key-file"] {
            if !is_set(obj, name) {
                out.push(Violation::new(
                    flags_path(),
                    format!("etcd talks to its peers without TLS: --{name} is not set"),
                ));
            }
        }
    }
}
