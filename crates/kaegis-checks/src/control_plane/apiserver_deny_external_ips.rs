//! KG812: The API server must refuse Services with external IPs.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS, cis};

declare_check! {
    /// ## What
    /// Fails unless the `DenyServiceExternalIPs` admission plugin is in
    /// `--enable-admission-plugins`. The benchmark rates this recommendation
    /// Manual: the check runs in the `cis` profile only.
    ///
    /// ## Why
    /// A Service's `externalIPs` make kube-proxy capture traffic to any
    /// address on every node: whoever can create a Service can intercept
    /// traffic meant for another host (CVE-2020-8554). Almost no cluster
    /// needs the field.
    ///
    /// ## How to fix
    /// Enable the admission plugin that rejects new external IPs:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --enable-admission-plugins=NodeRestriction,DenyServiceExternalIPs
    /// ```
    pub struct ApiserverDenyExternalIps {
        code: "KG812",
        slug: "apiserver-deny-external-ips",
        title: "The API server must refuse Services with external IPs",
        severity: Severity::Medium,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS,
        references: &[cis("1.2.3")],
    }
}

impl ApiserverDenyExternalIps {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        let (enabled, _) = component::admission_plugins(obj);
        if !enabled.contains(&"DenyServiceExternalIPs") {
            out.push(Violation::new(
                component::flag_or_flags(obj, "enable-admission-plugins"),
                "the DenyServiceExternalIPs admission plugin is not enabled: any Service may claim external IPs and capture their traffic (CVE-2020-8554)",
            ));
        }
    }
}
