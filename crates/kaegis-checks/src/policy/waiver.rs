//! KG001: a waiver must name real checks and say why.
use kaegis_core::engine::{IGNORE_ANNOTATION, IGNORE_REASON_ANNOTATION};
use kaegis_core::{Area, Context, JsonPath, Object, Profile, Severity, Violation};

use crate::macros::declare_check;
use crate::refs::k8s;

declare_check! {
    /// ## What
    /// An object waives checks with the annotation
    /// `kaegis.dev/ignore: "slug,slug"` (slugs or codes, comma-separated) and
    /// says why in `kaegis.dev/ignore-reason`. This check fires when the
    /// waiver has no reason (or an empty one) — such a waiver waives nothing
    /// — and once for every name in it that is neither a check of the
    /// catalog nor a custom rule of the config file. Only the object's own
    /// `metadata.annotations` are read: the annotations of a pod template
    /// apply to the pods it creates, not to the workload in a scan.
    ///
    /// ## Why
    /// A waiver is a decision that a risk is accepted. Without a reason the
    /// next reviewer cannot tell a considered exception from a silenced
    /// alarm; with a misspelt name the waiver silently does nothing, or,
    /// worse, a later catalog check of that name would be waived unseen.
    ///
    /// ## How to fix
    /// Name the checks exactly (`kaegis checks` lists them) and give the
    /// reason:
    /// ```yaml
    /// metadata:
    ///   annotations:
    ///     kaegis.dev/ignore: "host-path-volumes,daemonset-host-access"
    ///     kaegis.dev/ignore-reason: "node-exporter reads /proc and /sys of the node, read-only"
    /// ```
    pub struct Waiver {
        code: "KG001",
        slug: "waiver",
        title: "Waivers name known checks and give a reason",
        severity: Severity::Medium,
        area: Area::Policy,
        profiles: &[Profile::PssBaseline, Profile::PssRestricted, Profile::Cis, Profile::Nsa, Profile::Production],
        references: &[k8s("Annotations", "https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations/")],
    }
}

impl Waiver {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(list) = obj.annotation(IGNORE_ANNOTATION) else {
            return;
        };
        let path = JsonPath::root()
            .key("metadata")
            .key("annotations")
            .key(IGNORE_ANNOTATION);
        let waiver = kaegis_core::Waiver::of(obj);
        if waiver.reason.is_none() {
            let reason_path = JsonPath::root()
                .key("metadata")
                .key("annotations")
                .key(IGNORE_REASON_ANNOTATION);
            let at = if obj.annotation(IGNORE_REASON_ANNOTATION).is_some() {
                reason_path
            } else {
                path.clone()
            };
            out.push(Violation::new(
                at,
                format!(
                    "the waiver `{}` has no {IGNORE_REASON_ANNOTATION}: it waives nothing until it says why",
                    list.trim()
                ),
            ));
        }
        if waiver.names.is_empty() {
            out.push(Violation::new(path.clone(), "the waiver names no check"));
        }
        for name in &waiver.names {
            let known =
                crate::find(name).is_some() || ctx.settings.custom_rules.iter().any(|r| r == name);
            if !known {
                out.push(Violation::new(
                    path.clone(),
                    format!(
                        "the waiver names `{name}`, which is no check (`kaegis checks` lists them)"
                    ),
                ));
            }
        }
    }
}
