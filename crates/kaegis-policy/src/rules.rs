//! Custom rules in CEL, the expression language of Kubernetes'
//! ValidatingAdmissionPolicy, so a rule written here also reads as
//! Kubernetes. Each rule becomes a check like the catalog's: it has a slug,
//! a severity and a message, runs in the same engine, can be waived and
//! exempted, and shows in every report.
//!
//! Variables, as in a ValidatingAdmissionPolicy: `object` (the object),
//! `oldObject` (null: a manifest has no previous version), `params` (the
//! rule's `params` mapping, or null) and `namespaceObject` (the object's
//! Namespace when the scan defines it, else null). The expression must
//! evaluate to `true` for the object to pass.

use std::sync::Arc;

use kaegis_core::{
    Area, Check, CheckMeta, Context, JsonPath, LabelSelector, Labels, Node, Object, Pos, Scope,
    Severity, Value, Violation, namespace_key,
};
use kube_cel::KubeCelExt;
use kube_cel::cel;

/// Which objects a rule applies to. Every non-empty filter must match.
#[derive(Clone, Debug, Default)]
pub struct RuleMatch {
    /// Kinds (`Deployment`), or `group/Kind` (`apps/Deployment`).
    pub kinds: Vec<String>,
    /// Namespace globs.
    pub namespaces: Vec<String>,
    /// Namespace globs to leave out.
    pub exclude_namespaces: Vec<String>,
    /// A selector on the object's labels.
    pub labels: Option<LabelSelector>,
}

impl RuleMatch {
    fn matches(&self, obj: &Object) -> bool {
        let kind_ok = self.kinds.is_empty()
            || self.kinds.iter().any(|k| match k.split_once('/') {
                Some((group, kind)) => kind == obj.id.kind && group == obj.group(),
                None => *k == obj.id.kind,
            });
        let ns = namespace_key(obj);
        kind_ok
            && (self.namespaces.is_empty()
                || self
                    .namespaces
                    .iter()
                    .any(|g| kaegis_core::engine::glob(g, ns)))
            && !self
                .exclude_namespaces
                .iter()
                .any(|g| kaegis_core::engine::glob(g, ns))
            && self
                .labels
                .as_ref()
                .is_none_or(|s| s.matches(&Labels::of_metadata(obj.root.get("metadata"))))
    }
}

/// A custom rule, compiled.
pub struct CelRule {
    meta: &'static CheckMeta,
    expression: cel::Program,
    message: String,
    message_expression: Option<cel::Program>,
    matching: RuleMatch,
    params: cel::Value,
}

impl std::fmt::Debug for CelRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CelRule")
            .field("slug", &self.meta.slug)
            .finish()
    }
}

/// Why an expression did not compile: the message and its position inside
/// the expression (1-based line and column).
#[derive(Debug)]
pub struct CompileError {
    /// Line and column in the expression text.
    pub pos: Pos,
    /// What the parser said.
    pub message: String,
}

/// Compiles a CEL expression.
pub fn compile(source: &str) -> Result<cel::Program, CompileError> {
    cel::Program::compile(source).map_err(|errors| {
        let first = errors.errors.first();
        let (line, col) = first.map_or((1, 0), |e| e.pos);
        CompileError {
            pos: Pos::new(line.max(1) as u32, col.max(0) as u32 + 1),
            message: first.map_or_else(|| errors.to_string(), |e| e.msg.clone()),
        }
    })
}

/// Everything a rule declaration says, compiled, before it becomes a check
/// (which gives it process-long metadata: see [`RuleSpec::into_check`]).
pub struct RuleSpec {
    /// Slug.
    pub slug: String,
    /// Code shown in reports (`CEL001` unless given).
    pub code: String,
    /// Severity.
    pub severity: Severity,
    /// Title (a one-line summary).
    pub title: String,
    /// Markdown documentation.
    pub doc: String,
    /// The compiled expression.
    pub expression: cel::Program,
    /// Static message.
    pub message: String,
    /// Compiled message expression.
    pub message_expression: Option<cel::Program>,
    /// Which objects it applies to.
    pub matching: RuleMatch,
    /// `params`.
    pub params: Option<Node>,
}

impl std::fmt::Debug for RuleSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSpec")
            .field("slug", &self.slug)
            .field("code", &self.code)
            .finish()
    }
}

impl RuleSpec {
    /// Turns the rule into a check registered for the rest of the process
    /// (its metadata is leaked on purpose: rules are loaded once, at start,
    /// and checks' metadata is `'static`).
    pub fn into_check(self) -> &'static CelRule {
        Box::leak(Box::new(CelRule::new(self)))
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

impl CelRule {
    /// Builds a rule. Its metadata lives for the rest of the process: use
    /// [`RuleSpec::into_check`].
    fn new(spec: RuleSpec) -> Self {
        let meta: &'static CheckMeta = Box::leak(Box::new(CheckMeta {
            code: leak(spec.code),
            slug: leak(spec.slug),
            title: leak(spec.title),
            severity: spec.severity,
            area: Area::Policy,
            profiles: &kaegis_core::Profile::ALL,
            references: &[],
            pss: None,
            doc: leak(spec.doc),
            scope: Scope::Inventory,
            kinds: Box::leak(
                spec.matching
                    .kinds
                    .iter()
                    .map(|k| leak(k.rsplit('/').next().unwrap_or(k).to_owned()))
                    .collect::<Vec<&'static str>>()
                    .into_boxed_slice(),
            ),
        }));
        Self {
            meta,
            expression: spec.expression,
            message: spec.message,
            message_expression: spec.message_expression,
            matching: spec.matching,
            params: spec.params.as_ref().map_or(cel::Value::Null, to_cel),
        }
    }
}

thread_local! {
    /// The CEL functions (standard and Kubernetes libraries), registered once
    /// per thread.
    static ROOT: cel::Context<'static> = cel::Context::default().with_all();
}

/// Runs `f` with this thread's root CEL context (the standard and
/// Kubernetes libraries, registered once per thread). Callers evaluate a
/// program in an inner scope of it, adding their own variables:
/// `with_root(|root| { let mut s = root.new_inner_scope(); … })`.
pub fn with_root<R>(f: impl FnOnce(&cel::Context<'static>) -> R) -> R {
    ROOT.with(f)
}

/// Converts an object tree to a CEL value, resolving plain scalars as
/// Kubernetes' YAML reader does (null, booleans, integers, floats).
pub fn to_cel(node: &Node) -> cel::Value {
    match &node.value {
        Value::Null => cel::Value::Null,
        Value::Scalar { text, plain } => {
            if *plain {
                if let Some(b) = node.as_bool() {
                    return cel::Value::Bool(b);
                }
                if let Some(i) = node.as_i64()
                    && !text.contains('.')
                {
                    return cel::Value::Int(i);
                }
                if let Ok(f) = text.parse::<f64>()
                    && text.bytes().any(|b| b.is_ascii_digit())
                {
                    return cel::Value::Float(f);
                }
            }
            cel::Value::String(Arc::new(text.to_string()))
        }
        Value::Seq(items) => cel::Value::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Map(entries) => {
            let map: std::collections::HashMap<cel::objects::Key, cel::Value> = entries
                .iter()
                .map(|e| {
                    (
                        cel::objects::Key::String(Arc::new(e.key.to_string())),
                        to_cel(&e.value),
                    )
                })
                .collect();
            cel::Value::Map(map.into())
        }
    }
}

fn namespace_object(ctx: &Context<'_>, obj: &Object) -> cel::Value {
    let ns = namespace_key(obj);
    let Some(labels) = ctx.inventory.and_then(|inv| inv.namespaces.get(ns)) else {
        return cel::Value::Null;
    };
    let labels: std::collections::HashMap<String, String> = labels.0.iter().cloned().collect();
    let mut meta = std::collections::HashMap::new();
    meta.insert("name".to_owned(), cel::Value::from(ns.to_owned()));
    meta.insert("labels".to_owned(), cel::Value::from(labels));
    let mut root = std::collections::HashMap::new();
    root.insert("apiVersion".to_owned(), cel::Value::from("v1"));
    root.insert("kind".to_owned(), cel::Value::from("Namespace"));
    root.insert("metadata".to_owned(), cel::Value::from(meta));
    cel::Value::from(root)
}

impl Check for CelRule {
    fn meta(&self) -> &'static CheckMeta {
        self.meta
    }

    fn check(&self, obj: &Object, ctx: &Context<'_>, out: &mut Vec<Violation>) {
        if !self.matching.matches(obj) {
            return;
        }
        let object = to_cel(&obj.root);
        let ns_object = namespace_object(ctx, obj);
        ROOT.with(|root| {
            let mut scope = root.new_inner_scope();
            scope.add_variable_from_value("object", object);
            scope.add_variable_from_value("oldObject", cel::Value::Null);
            scope.add_variable_from_value("params", self.params.clone());
            scope.add_variable_from_value("namespaceObject", ns_object);
            let message = match self.expression.execute(&scope) {
                Ok(cel::Value::Bool(true)) => return,
                Ok(cel::Value::Bool(false)) => match &self.message_expression {
                    Some(p) => match p.execute(&scope) {
                        Ok(cel::Value::String(s)) => s.to_string(),
                        _ => self.message.clone(),
                    },
                    None => self.message.clone(),
                },
                Ok(other) => format!(
                    "rule `{}` must evaluate to a bool, got {other:?}",
                    self.meta.slug
                ),
                Err(e) => format!("rule `{}` could not be evaluated: {e}", self.meta.slug),
            };
            out.push(Violation::new(JsonPath::root(), message));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compile_errors_have_positions() {
        let e = compile("object.spec.replicas >").unwrap_err();
        assert_eq!(e.pos.line, 1);
        assert!(e.pos.col > 1, "{e:?}");
        assert!(compile("has(object.spec) && object.spec.replicas >= 2").is_ok());
    }
}
