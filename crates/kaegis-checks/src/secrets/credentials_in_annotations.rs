//! KG307: No credentials in annotations.
use kaegis_core::{Area, Context, Entry, JsonPath, Node, Object, PodSpecView, Severity, Violation};

use super::{find_token, is_core, redacted};
use crate::macros::declare_check;
use crate::refs::{HARDENING, k8s, mitre};

/// The annotation `kubectl apply` writes with the whole applied object.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

declare_check! {
    /// ## What
    /// Fires, on any object, for:
    ///
    /// - an annotation (of the object, or of a workload's pod template)
    ///   whose value contains a credential in a known format: an AWS access
    ///   key id, a GitHub, Slack or Stripe token, a Google API key, a PEM
    ///   private key (plain or base64-encoded), a JSON Web Token, or a URL
    ///   with a real-looking password;
    /// - a Secret carrying `kubectl.kubernetes.io/last-applied-configuration`
    ///   with non-empty `data` or `stringData` in it: `kubectl apply` copied
    ///   the Secret's values, in clear, into an annotation.
    ///
    /// The last-applied annotation of other kinds is not scanned: it repeats
    /// the object, and whatever it holds is reported where it really is
    /// (`credentials-in-env`, `credentials-in-configmap`). Annotations are not
    /// judged by name: only known formats count.
    ///
    /// ## Why
    /// Annotations are metadata: every client that may read the object sees
    /// them (`kubectl get -o yaml`, `kubectl describe`, dashboards,
    /// controllers that cache metadata), and outside Secrets they are not
    /// encrypted at rest. A Secret's last-applied annotation is worse than it
    /// looks: `kubectl describe secret` and many UIs hide a Secret's `data`
    /// but print its annotations, and the annotation keeps the old values
    /// after the data is rotated by other means.
    ///
    /// ## How to fix
    /// Keep credentials out of annotations (reference a Secret by name
    /// instead), and apply Secrets without recording the last-applied
    /// configuration — `kubectl apply --server-side`, or create them with
    /// `kubectl create secret` or an external secret operator:
    /// ```yaml
    /// metadata:
    ///   annotations:
    ///     example.com/credentials-secret: api-credentials
    /// ```
    pub struct CredentialsInAnnotations {
        code: "KG307",
        slug: "credentials-in-annotations",
        title: "No credentials in annotations",
        severity: Severity::High,
        area: Area::Secrets,
        profiles: HARDENING,
        references: &[
            mitre("T1552 Unsecured Credentials"),
            k8s("Good practices for Kubernetes Secrets", "https://kubernetes.io/docs/concepts/security/secrets-good-practices/"),
            k8s("Server-side apply (no last-applied annotation)", "https://kubernetes.io/docs/reference/using-api/server-side-apply/"),
        ],
    }
}

/// True when a last-applied JSON document has a `data` or `stringData`
/// member that is not empty (`"data":{}` is empty).
fn has_applied_values(json: &str) -> bool {
    ["\"data\":", "\"stringData\":"].iter().any(|field| {
        json.match_indices(field).any(|(i, _)| {
            let rest = json[i + field.len()..].trim_start();
            let inner = rest.strip_prefix('{').map(str::trim_start);
            !(inner.is_some_and(|r| r.starts_with('}')) || rest.starts_with("null"))
        })
    })
}

impl CredentialsInAnnotations {
    fn scan(
        &self,
        annotations: &[Entry],
        base: &JsonPath,
        skip_last_applied: bool,
        ctx: &Context,
        out: &mut Vec<Violation>,
    ) {
        for e in annotations {
            if skip_last_applied && &*e.key == LAST_APPLIED {
                continue;
            }
            let Some(value) = e.value.as_str() else {
                continue;
            };
            if let Some(t) = find_token(value, ctx.settings.min_secret_entropy) {
                out.push(Violation::new(
                    base.key(&e.key),
                    format!(
                        "annotation {} holds {} ({})",
                        e.key,
                        t.kind,
                        redacted(t.text)
                    ),
                ));
            }
        }
    }

    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let annotations = obj
            .root
            .get_path(&["metadata", "annotations"])
            .map_or(&[][..], Node::entries);
        let base = JsonPath::root().keys(&["metadata", "annotations"]);
        let secret = is_core(obj, "Secret");
        if secret
            && let Some(applied) = obj.annotation(LAST_APPLIED)
            && has_applied_values(applied)
        {
            out.push(Violation::new(
                base.key(LAST_APPLIED),
                "Secret carries its data in clear in the kubectl last-applied-configuration annotation",
            ));
        }
        self.scan(annotations, &base, true, ctx, out);
        if let Some(pod) = PodSpecView::of(obj) {
            // A Pod's template metadata is its own, scanned above.
            if pod.metadata_path != JsonPath::root().key("metadata") {
                let base = pod.metadata_path.key("annotations");
                self.scan(pod.annotations(), &base, true, ctx, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::has_applied_values;

    #[test]
    fn applied_values() {
        assert!(has_applied_values(
            r#"{"apiVersion":"v1","data":{"password":"aHVudGVyMg=="},"kind":"Secret"}"#
        ));
        assert!(has_applied_values(r#"{"stringData": {"token": "x"}}"#));
        assert!(!has_applied_values(
            r#"{"apiVersion":"v1","data":{},"kind":"Secret"}"#
        ));
        assert!(!has_applied_values(
            r#"{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/service-account-token"}"#
        ));
    }
}
