//! KG135: Untrusted pods must run in a sandboxed runtime.
use kaegis_core::{Area, Context, Node, Object, PodSpecView, Severity, Violation};

use super::{mitre, nsa};
use crate::macros::declare_check;
use crate::refs::{HARDENING, k8s};

/// The label that marks a pod (or workload) as running untrusted code.
pub const UNTRUSTED_LABEL: &str = "kaegis.dev/untrusted";

declare_check! {
    /// ## What
    /// A pod is untrusted when its object's `metadata.namespace` is listed
    /// in the `untrustedNamespaces` parameter, or when its pod template (or
    /// the workload object itself) carries the label
    /// `kaegis.dev/untrusted: "true"`. An untrusted pod must set
    /// `runtimeClassName` to one of the `sandboxRuntimeClasses` (default
    /// `gvisor`, `kata`); the check fires when it is unset or names another
    /// class. Everything else is silent: with no untrusted namespaces and no
    /// labels, the check reports nothing. An object without
    /// `metadata.namespace` is not taken to be in any namespace (it goes
    /// wherever it is applied).
    ///
    /// ## Why
    /// Ordinary containers share the node's kernel: one kernel bug reachable
    /// through a system call is an escape to the node. Code the cluster
    /// operator does not control — customer workloads, CI jobs of
    /// untrusted branches, user-supplied plugins — should run behind a
    /// second boundary, a user-space kernel (gVisor) or a lightweight VM
    /// (Kata Containers), selected through a RuntimeClass.
    ///
    /// ## How to fix
    /// ```yaml
    /// spec:
    ///   runtimeClassName: gvisor
    /// ```
    /// with a RuntimeClass `gvisor` whose handler is installed on the nodes
    /// (`runsc` for gVisor, `kata` for Kata Containers), and the class name
    /// listed in `parameters: {sandboxRuntimeClasses: [...]}` if it is not
    /// `gvisor` or `kata`.
    pub struct SandboxRuntimeClass {
        code: "KG135",
        slug: "sandbox-runtime-class",
        title: "Untrusted pods must run in a sandboxed runtime",
        severity: Severity::High,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: HARDENING,
        references: &[
            nsa("Pod security: hardened container runtimes"),
            mitre("T1611 Escape to Host"),
            k8s("Runtime Class", "https://kubernetes.io/docs/concepts/containers/runtime-class/"),
        ],
    }
}

impl SandboxRuntimeClass {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        let settings = ctx.settings;
        let namespace = obj
            .id
            .namespace
            .as_deref()
            .filter(|ns| settings.untrusted_namespaces.iter().any(|u| u == ns));
        let labelled = |meta: Option<&Node>| {
            meta.and_then(|m| m.get("labels"))
                .and_then(|l| l.get(UNTRUSTED_LABEL))
                .and_then(Node::as_str)
                == Some("true")
        };
        let why = if let Some(ns) = namespace {
            format!("namespace {ns:?} is listed in untrustedNamespaces")
        } else if labelled(pod.metadata) || labelled(obj.root.get("metadata")) {
            format!("it is labelled {UNTRUSTED_LABEL}: \"true\"")
        } else {
            return;
        };
        let class = pod.field("runtimeClassName").and_then(Node::as_str);
        if class.is_some_and(|c| settings.sandbox_runtime_classes.iter().any(|s| s == c)) {
            return;
        }
        let has = match class {
            Some(c) => format!("runtimeClassName {c:?} is not a sandbox"),
            None => "it sets no runtimeClassName".to_owned(),
        };
        out.push(Violation::new(
            pod.path("runtimeClassName"),
            format!(
                "pod is untrusted ({why}) but {has} (sandboxRuntimeClasses: {})",
                settings.sandbox_runtime_classes.join(", ")
            ),
        ));
    }
}
