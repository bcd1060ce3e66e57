//! KG866: etcd must not listen in clear text beyond the loopback interface.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, flag, host_of, is_loopback, list};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, k8s};

declare_check! {
    /// ## What
    /// Fails for each `http://` (not `https://`) address in etcd's `--listen-
    /// client-urls` or `--listen-peer-urls` whose host is not a loopback
    /// address (`0.0.0.0` and `[::]` included).
    ///
    /// ## Why
    /// A clear-text listener bypasses every TLS and certificate setting:
    /// whatever reaches it reads and writes the cluster state without
    /// credentials. On loopback only local processes reach it, which kubeadm
    /// uses for health checks.
    ///
    /// ## How to fix
    /// Listen with `https://` on every non-loopback address:
    /// ```yaml
    /// # /etc/kubernetes/manifests/etcd.yaml
    /// spec:
    ///   containers:
    ///   - name: etcd
    ///     command:
    ///     - etcd
    ///     - --listen-client-urls=https://127.0.0.1:2379,https://10.0.0.10:2379
    ///     - --listen-peer-urls=https://10.0.0.10:2380
    /// ```
    pub struct EtcdPlaintextListener {
        code: "KG866",
        slug: "etcd-plaintext-listener",
        title: "etcd must not listen in clear text beyond the loopback interface",
        severity: Severity::Critical,
        area: Area::Etcd,
        kinds: &["Etcd"],
        profiles: CIS_HARDENING,
        references: &[k8s(
            "Operating etcd clusters for Kubernetes: securing etcd",
            "https://kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/#securing-etcd-clusters",
        )],
    }
}

impl EtcdPlaintextListener {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Etcd") {
            return;
        }
        for name in ["listen-client-urls", "listen-peer-urls"] {
            let Some(f) = flag(obj, name) else {
                continue;
            };
            for url in list(f.value) {
                if url.starts_with("http://") && !is_loopback(host_of(url)) {
                    out.push(Violation::new(
                        f.path.clone(),
                        format!("etcd listens in clear text on {url} (--{name})"),
                    ));
                }
            }
        }
    }
}
