//! KG310: Secrets must be rotated within the rotation period.
use kaegis_core::{Area, Context, JsonPath, Node, Object, Severity, Violation};

use super::is_core;
use crate::cluster::versions::Date;
use crate::macros::declare_check;
use crate::refs::{HARDENING, k8s, mitre};

declare_check! {
    /// ## What
    /// Fires for a Secret whose `metadata.creationTimestamp` is older than
    /// the rotation period (parameter `secretMaxAgeDays`, 90 days by
    /// default): the same value has been in use at least that long, since a
    /// rotation that replaces the Secret gives it a new timestamp. Only
    /// objects read from a cluster (or a dump) carry a creation timestamp,
    /// so manifests in a repository are not judged. Secrets a system
    /// rotates itself are left out: Helm release records (`owner: helm`)
    /// and service account tokens (KG309 reports those).
    ///
    /// ## Why
    /// A credential that never changes stays valid for whoever copied it:
    /// a former team member, a leaked backup, a log line, a compromised
    /// pod that read it once. Rotation bounds how long a leak is worth
    /// something, and practising it keeps the rotation path working for
    /// the day it is urgent.
    ///
    /// ## How to fix
    /// Rotate the credential at its source, then replace the Secret (a new
    /// object, or `kubectl create secret … --dry-run=client -o yaml |
    /// kubectl replace -f -`), and restart what reads it. Better, let an
    /// operator do it on a schedule (External Secrets Operator with
    /// `refreshInterval`, cert-manager for certificates). Set the period
    /// your policy requires:
    /// ```yaml
    /// # .kaegis.yaml
    /// parameters:
    ///   secretMaxAgeDays: 30
    /// ```
    pub struct SecretRotation {
        code: "KG310",
        slug: "secret-rotation",
        title: "Secrets must be rotated within the rotation period",
        severity: Severity::Low,
        area: Area::Secrets,
        kinds: &["Secret"],
        profiles: HARDENING,
        references: &[
            mitre("T1552 Unsecured Credentials"),
            k8s("Good practices for Kubernetes Secrets", "https://kubernetes.io/docs/concepts/security/secrets-good-practices/"),
        ],
    }
}

impl SecretRotation {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        if !is_core(obj, "Secret") {
            return;
        }
        let meta = obj.root.get("metadata");
        let label = |k: &str| {
            meta.and_then(|m| m.get_path(&["labels", k]))
                .and_then(Node::as_str)
        };
        if label("owner") == Some("helm")
            || obj
                .annotation("kubernetes.io/service-account.name")
                .is_some()
            || obj.root.get("type").and_then(Node::as_str)
                == Some("kubernetes.io/service-account-token")
        {
            return;
        }
        let Some(created) = meta
            .and_then(|m| m.get("creationTimestamp"))
            .and_then(Node::as_str)
        else {
            return;
        };
        let Some(date) = created.get(..10).and_then(|d| Date::parse(d).ok()) else {
            return;
        };
        let age = date.days_until(Date::today());
        let limit = ctx.settings.secret_max_age_days;
        if age > limit {
            out.push(Violation::new(
                JsonPath::root().keys(&["metadata", "creationTimestamp"]),
                format!(
                    "Secret {} has not been replaced since {created}: older than the {limit}-day rotation period",
                    obj.id.name
                ),
            ));
        }
    }
}
