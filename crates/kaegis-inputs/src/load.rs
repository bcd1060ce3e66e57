//! From file contents to Kubernetes objects and diagnostics.

use std::path::Path;
use std::sync::Arc;

use kaegis_core::{Diagnostic, DiagnosticLevel, Node, Object, Origin, Pos};

use crate::json::parse_json_stream;
use crate::yaml::parse_yaml;

/// The objects of one file and what was said about it.
#[derive(Debug)]
pub struct LoadedFile {
    /// The file.
    pub path: Arc<Path>,
    /// Every Kubernetes object, `List` items unpacked.
    pub objects: Vec<Object>,
    /// Notes and errors.
    pub diagnostics: Vec<Diagnostic>,
}

/// What syntax to read a file as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// YAML (the default; JSON is YAML too).
    Yaml,
    /// JSON.
    Json,
}

impl Syntax {
    /// The syntax for a path: `.json` and `.jsonl` are JSON, anything else
    /// YAML.
    pub fn for_path(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("jsonl") => {
                Syntax::Json
            }
            _ => Syntax::Yaml,
        }
    }
}

/// True when a path is inside a Helm chart's `templates/` folder, or is a
/// chart's `Chart.yaml`/`values*.yaml` (files that `helm template` renders or
/// reads, and that are not Kubernetes objects by themselves).
fn helm_chart_part(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_str()?;
    let dir = path.parent()?;
    if dir.join("Chart.yaml").is_file() && (name == "Chart.yaml" || name.starts_with("values")) {
        return Some("Helm chart metadata or values, not a Kubernetes object");
    }
    let mut cur = dir;
    loop {
        if cur.file_name().and_then(|n| n.to_str()) == Some("templates")
            && cur.parent().is_some_and(|p| p.join("Chart.yaml").is_file())
        {
            return Some("Helm chart template: render it with `helm template` and scan the output");
        }
        cur = cur.parent()?;
    }
}

/// Reads raw bytes as text, or says why not.
pub fn decode(bytes: &[u8]) -> Result<&str, String> {
    let head = &bytes[..bytes.len().min(8192)];
    if memchr::memchr(0, head).is_some() {
        return Err("binary file (contains NUL bytes): not a manifest".into());
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {}): save the file as UTF-8",
            e.valid_up_to()
        )
    })
}

/// Parses one file's contents into objects. The bodies (`spec`) of
/// CustomResourceDefinitions are validated but not built (see [`crate::skim`]).
pub fn load(path: Arc<Path>, bytes: &[u8], syntax: Syntax) -> LoadedFile {
    load_with(path, bytes, syntax, true)
}

/// Like [`load`], but builds CustomResourceDefinition bodies too.
pub fn load_full(path: Arc<Path>, bytes: &[u8], syntax: Syntax) -> LoadedFile {
    load_with(path, bytes, syntax, false)
}

fn load_with(path: Arc<Path>, bytes: &[u8], syntax: Syntax, skim_crds: bool) -> LoadedFile {
    let mut lf = LoadedFile {
        path: path.clone(),
        objects: Vec::new(),
        diagnostics: Vec::new(),
    };
    let diag = |level, pos, message: String| Diagnostic {
        level,
        file: path.clone(),
        pos,
        message,
    };
    if let Some(why) = helm_chart_part(&path) {
        lf.diagnostics
            .push(diag(DiagnosticLevel::Note, None, format!("skipped: {why}")));
        return lf;
    }
    let text = match decode(bytes) {
        Ok(t) => t,
        Err(why) => {
            lf.diagnostics.push(diag(DiagnosticLevel::Error, None, why));
            return lf;
        }
    };
    let looks_json = syntax == Syntax::Json;
    let (documents, error, complex_keys) = if looks_json {
        let (documents, error) = parse_json_stream(text);
        (documents, error, false)
    } else {
        let skimmed = if skim_crds {
            crate::skim::blank_crd_specs(text)
        } else {
            None
        };
        let mut s = parse_yaml(skimmed.as_ref().map_or(text, |sk| &sk.text));
        // Where the stream is broken, the parser's first error depends on
        // what follows it: report the one the whole text gives. And where
        // blanking did not leave the `spec:` keys it meant to, parse it all.
        if let Some(sk) = &skimmed
            && (s.error.is_some() || !sk.confirmed_by(&s.documents))
        {
            s = parse_yaml(text);
        }
        (s.documents, s.error, s.complex_keys)
    };
    let template = text.contains("{{");
    if template && (error.is_some() || complex_keys) {
        lf.diagnostics.push(diag(
            DiagnosticLevel::Note,
            None,
            "skipped: unrendered template (`{{ … }}`): render it first (helm template, envsubst…) and scan the output".into(),
        ));
        return lf;
    }
    let mut not_objects = Vec::new();
    for (doc, root) in documents {
        if is_patch(&root) {
            lf.diagnostics.push(diag(
                DiagnosticLevel::Note,
                Some(root.pos),
                format!(
                    "skipped document {doc}: a strategic-merge patch (`$patch`), not a whole object: `kustomize build` applies it"
                ),
            ));
            continue;
        }
        collect_objects(&path, doc, root, &mut lf.objects, &mut not_objects);
    }
    if let Some(e) = error {
        lf.diagnostics.push(diag(
            DiagnosticLevel::Error,
            Some(e.pos),
            format!(
                "invalid {}: {}",
                if looks_json { "JSON" } else { "YAML" },
                e.message
            ),
        ));
    }
    if lf.objects.is_empty() && !not_objects.is_empty() {
        lf.diagnostics.push(diag(
            DiagnosticLevel::Note,
            None,
            "skipped: not a Kubernetes manifest (no document has apiVersion and kind)".into(),
        ));
    } else {
        for (doc, pos) in not_objects {
            lf.diagnostics.push(diag(
                DiagnosticLevel::Note,
                Some(pos),
                format!("skipped document {doc}: not a Kubernetes object (no apiVersion and kind)"),
            ));
        }
    }
    lf
}

/// True for a strategic-merge patch document: `$patch` (`delete`,
/// `replace`) at its root. Kustomize applies such documents to objects
/// defined elsewhere; they are not objects themselves.
fn is_patch(root: &Node) -> bool {
    root.get("$patch").is_some()
}

/// Turns one document into objects, unpacking `kind: List` and `*List`.
fn collect_objects(
    path: &Arc<Path>,
    doc: u32,
    root: Node,
    objects: &mut Vec<Object>,
    not_objects: &mut Vec<(u32, Pos)>,
) {
    let pos = root.pos;
    let is_list = root
        .get("kind")
        .and_then(Node::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && root.get("items").is_some_and(Node::is_seq);
    if is_list {
        let items = match root.value {
            kaegis_core::Value::Map(entries) => entries
                .into_iter()
                .rev()
                .find(|e| &*e.key == "items")
                .map(|e| e.value),
            _ => None,
        };
        if let Some(Node {
            value: kaegis_core::Value::Seq(items),
            ..
        }) = items
        {
            for (i, item) in items.into_iter().enumerate() {
                let ipos = item.pos;
                let origin = Origin::File {
                    path: path.clone(),
                    document: doc,
                    list_item: Some(i as u32),
                };
                match Object::from_root(item, origin) {
                    Some(o) => objects.push(o),
                    None => not_objects.push((doc, ipos)),
                }
            }
        }
        return;
    }
    let origin = Origin::File {
        path: path.clone(),
        document: doc,
        list_item: None,
    };
    match Object::from_root(root, origin) {
        Some(o) => objects.push(o),
        None => not_objects.push((doc, pos)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(name: &str, text: &str) -> LoadedFile {
        let p: Arc<Path> = Arc::from(Path::new(name));
        load(p.clone(), text.as_bytes(), Syntax::for_path(&p))
    }

    #[test]
    fn strategic_merge_patches_are_not_objects() {
        let f = load_str(
            "p.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: kubeflow}\n$patch: delete\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: kept}\n",
        );
        assert_eq!(f.objects.len(), 1);
        assert_eq!(f.objects[0].id.name, "kept");
        assert_eq!(f.diagnostics.len(), 1);
        assert_eq!(f.diagnostics[0].level, DiagnosticLevel::Note);
        assert!(f.diagnostics[0].message.contains("$patch"));
    }

    #[test]
    fn lists_are_unpacked() {
        let f = load_str(
            "l.yaml",
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: b}\n",
        );
        assert_eq!(f.objects.len(), 2);
        assert_eq!(f.objects[1].id.kind, "Service");
        assert!(f.diagnostics.is_empty());
    }

    #[test]
    fn workflows_are_noted_not_errors() {
        let f = load_str("ci.yml", "on: push\njobs:\n  build:\n    runs-on: x\n");
        assert!(f.objects.is_empty());
        assert_eq!(f.diagnostics.len(), 1);
        assert_eq!(f.diagnostics[0].level, DiagnosticLevel::Note);
    }

    #[test]
    fn templates_are_noted() {
        let f = load_str(
            "t.yaml",
            "{{- if .Values.x }}\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n{{- end }}\n",
        );
        assert!(f.objects.is_empty());
        assert_eq!(
            f.diagnostics[0].level,
            DiagnosticLevel::Note,
            "{:?}",
            f.diagnostics
        );
    }

    #[test]
    fn template_text_in_data_is_data() {
        let f = load_str(
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  t: |\n    {{ define \"x\" }}{{ end }}\n",
        );
        assert_eq!(f.objects.len(), 1);
        assert!(f.diagnostics.is_empty());
    }

    #[test]
    fn broken_yaml_is_an_error_with_position() {
        let f = load_str(
            "b.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [a\n",
        );
        let d = &f.diagnostics[0];
        assert_eq!(d.level, DiagnosticLevel::Error);
        assert!(d.pos.is_some());
        assert!(d.to_string().starts_with("b.yaml:"), "{d}");
    }

    #[test]
    fn binary_is_an_error() {
        let p: Arc<Path> = Arc::from(Path::new("x.yaml"));
        let f = load(p, b"\x00\x01\x02", Syntax::Yaml);
        assert_eq!(f.diagnostics[0].level, DiagnosticLevel::Error);
    }

    #[test]
    fn json_objects() {
        let f = load_str(
            "p.json",
            "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}}",
        );
        assert_eq!(f.objects.len(), 1);
        assert_eq!(f.objects[0].id.name, "p");
    }
}
