//! KG818: The API server must limit the rate of events.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS, cis};

declare_check! {
    /// ## What
    /// Fails unless the `EventRateLimit` admission plugin is enabled and
    /// `--admission-control-config-file` configures it. The benchmark rates
    /// this recommendation Manual: the check runs in the `cis` profile only.
    ///
    /// ## Why
    /// Events are written by every component and can be created by anyone
    /// allowed to: a flood of them fills etcd and slows the API server for
    /// everyone.
    ///
    /// ## How to fix
    /// Enable the plugin and give it limits in the admission configuration
    /// file:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --enable-admission-plugins=NodeRestriction,EventRateLimit
    ///     - --admission-control-config-file=/etc/kubernetes/admission.yaml
    /// ```
    pub struct ApiserverEventRateLimit {
        code: "KG818",
        slug: "apiserver-event-rate-limit",
        title: "The API server must limit the rate of events",
        severity: Severity::Low,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS,
        references: &[cis("1.2.9")],
    }
}

impl ApiserverEventRateLimit {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        let (enabled, _) = component::admission_plugins(obj);
        if !enabled.contains(&"EventRateLimit") {
            out.push(Violation::new(
                component::flag_or_flags(obj, "enable-admission-plugins"),
                "the EventRateLimit admission plugin is not enabled: events are not rate-limited",
            ));
        } else if !component::is_set(obj, "admission-control-config-file") {
            out.push(Violation::new(
                component::flags_path(),
                "EventRateLimit is enabled but --admission-control-config-file is not set: the plugin has no limits to apply",
            ));
        }
    }
}
