//! KG836: The API server must encrypt Secrets at rest.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-apiserver runs with `--encryption-provider-config`.
    /// What the file configures is judged by `encryption-providers`. The
    /// benchmark rates this recommendation Manual: the check runs in the
    /// `cis` profile only.
    ///
    /// ## Why
    /// Without encryption at rest, Secrets are stored in etcd in plain text:
    /// anyone with a copy of etcd's data directory or a backup reads every
    /// password, token and key of the cluster.
    ///
    /// ## How to fix
    /// Write an EncryptionConfiguration (see `encryption-providers`) and
    /// point the API server at it:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --encryption-provider-config=/etc/kubernetes/encryption.yaml
    /// ```
    pub struct ApiserverEncryptionConfig {
        code: "KG836",
        slug: "apiserver-encryption-at-rest",
        title: "The API server must encrypt Secrets at rest",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS,
        references: &[cis("1.2.27")],
    }
}

impl ApiserverEncryptionConfig {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        component::require_set(
            obj,
            out,
            &["encryption-provider-config"],
            "Secrets are stored unencrypted in etcd",
        );
    }
}
