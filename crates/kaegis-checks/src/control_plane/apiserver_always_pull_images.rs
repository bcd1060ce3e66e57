//! KG820: The API server should force image pulls in multi-tenant clusters.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS, cis};

declare_check! {
    /// ## What
    /// Fails unless the `AlwaysPullImages` admission plugin is in `--enable-
    /// admission-plugins`. The benchmark rates this recommendation Manual:
    /// the check runs in the `cis` profile only.
    ///
    /// ## Why
    /// Without it, a pod can run any image already cached on its node,
    /// including a private image another tenant pulled with credentials this
    /// pod does not have. The plugin makes every pod pull, so registry
    /// credentials are checked each time (at the cost of depending on the
    /// registry for every start).
    ///
    /// ## How to fix
    /// Enable the plugin where tenants share nodes:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --enable-admission-plugins=NodeRestriction,AlwaysPullImages
    /// ```
    pub struct ApiserverAlwaysPullImages {
        code: "KG820",
        slug: "apiserver-always-pull-images",
        title: "The API server should force image pulls in multi-tenant clusters",
        severity: Severity::Low,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS,
        references: &[cis("1.2.11")],
    }
}

impl ApiserverAlwaysPullImages {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        let (enabled, _) = component::admission_plugins(obj);
        if !enabled.contains(&"AlwaysPullImages") {
            out.push(Violation::new(
                component::flag_or_flags(obj, "enable-admission-plugins"),
                "the AlwaysPullImages admission plugin is not enabled: pods may run private images cached on their node without credentials",
            ));
        }
    }
}
