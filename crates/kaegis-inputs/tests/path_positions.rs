//! Property tests: for any tree, rendered as block YAML or as JSON, every
//! JSON path resolves to the line and column where the renderer wrote it.

use std::collections::BTreeMap;

use kaegis_core::{JsonPath, Pos};
use kaegis_inputs::json::parse_json;
use kaegis_inputs::yaml::parse_yaml;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Tree {
    Leaf(String),
    Map(Vec<(String, Tree)>),
    Seq(Vec<Tree>),
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = "[a-z0-9][a-z0-9 ._-]{0,10}".prop_map(|s| Tree::Leaf(s.trim().to_string()));
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::btree_map("[a-z][a-zA-Z0-9]{0,6}", inner.clone(), 1..5)
                .prop_map(|m: BTreeMap<String, Tree>| Tree::Map(m.into_iter().collect())),
            proptest::collection::vec(inner, 1..4).prop_map(Tree::Seq),
        ]
    })
}

/// Renders block YAML, recording where each path's key (or item) starts.
fn yaml(
    t: &Tree,
    indent: usize,
    path: &JsonPath,
    out: &mut Vec<String>,
    pos: &mut Vec<(JsonPath, Pos)>,
) {
    match t {
        Tree::Leaf(_) => unreachable!("leaves are rendered by their parent"),
        Tree::Map(entries) => {
            for (k, v) in entries {
                let p = path.key(k);
                pos.push((p.clone(), Pos::new(out.len() as u32 + 1, indent as u32 + 1)));
                match v {
                    Tree::Leaf(s) => out.push(format!("{}{k}: \"{s}\"", " ".repeat(indent))),
                    _ => {
                        out.push(format!("{}{k}:", " ".repeat(indent)));
                        yaml(v, indent + 2, &p, out, pos);
                    }
                }
            }
        }
        Tree::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                let p = path.index(i);
                pos.push((p.clone(), Pos::new(out.len() as u32 + 1, indent as u32 + 3)));
                match v {
                    Tree::Leaf(s) => out.push(format!("{}- \"{s}\"", " ".repeat(indent))),
                    _ => {
                        out.push(format!("{}-", " ".repeat(indent)));
                        // The item's node starts on the next line.
                        pos.pop();
                        pos.push((p.clone(), Pos::new(out.len() as u32 + 1, indent as u32 + 3)));
                        yaml(v, indent + 2, &p, out, pos);
                    }
                }
            }
        }
    }
}

/// Renders JSON with one value per line, recording positions.
fn json(
    t: &Tree,
    indent: usize,
    path: &JsonPath,
    out: &mut Vec<String>,
    pos: &mut Vec<(JsonPath, Pos)>,
) {
    let (open, close, n) = match t {
        Tree::Map(e) => ('{', '}', e.len()),
        Tree::Seq(i) => ('[', ']', i.len()),
        Tree::Leaf(_) => unreachable!(),
    };
    if let Some(last) = out.last_mut() {
        last.push(open);
    } else {
        out.push(open.to_string());
    }
    for i in 0..n {
        let pad = " ".repeat(indent + 2);
        let comma = if i + 1 < n { "," } else { "" };
        let (p, prefix, child) = match t {
            Tree::Map(e) => (path.key(&e[i].0), format!("\"{}\": ", e[i].0), &e[i].1),
            Tree::Seq(items) => (path.index(i), String::new(), &items[i]),
            Tree::Leaf(_) => unreachable!(),
        };
        pos.push((p.clone(), Pos::new(out.len() as u32 + 1, indent as u32 + 3)));
        match child {
            Tree::Leaf(s) => out.push(format!("{pad}{prefix}\"{s}\"{comma}")),
            _ => {
                out.push(format!("{pad}{prefix}"));
                json(child, indent + 2, &p, out, pos);
                out.last_mut().unwrap().push_str(comma);
            }
        }
    }
    out.push(format!("{}{close}", " ".repeat(indent)));
}

fn containers() -> impl Strategy<Value = Tree> {
    proptest::collection::btree_map("[a-z][a-zA-Z0-9]{0,6}", tree(), 1..6)
        .prop_map(|m: BTreeMap<String, Tree>| Tree::Map(m.into_iter().collect()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn yaml_paths_resolve_to_their_lines(t in containers()) {
        let mut lines = Vec::new();
        let mut pos = Vec::new();
        yaml(&t, 0, &JsonPath::root(), &mut lines, &mut pos);
        let text = lines.join("\n") + "\n";
        let s = parse_yaml(&text);
        prop_assert!(s.error.is_none(), "{:?}\n{}", s.error, text);
        let root = &s.documents[0].1;
        for (path, want) in &pos {
            let (got, depth) = root.locate(path);
            prop_assert_eq!(depth, path.segments().len(), "{} not found\n{}", path, text);
            prop_assert_eq!(got, *want, "{}\n{}", path, text);
        }
    }

    #[test]
    fn json_paths_resolve_to_their_lines(t in containers()) {
        let mut lines = Vec::new();
        let mut pos = Vec::new();
        json(&t, 0, &JsonPath::root(), &mut lines, &mut pos);
        let text = lines.join("\n");
        let root = parse_json(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        for (path, want) in &pos {
            let (got, depth) = root.locate(path);
            prop_assert_eq!(depth, path.segments().len(), "{} not found\n{}", path, text);
            prop_assert_eq!(got, *want, "{}\n{}", path, text);
        }
    }

    #[test]
    fn missing_fields_point_at_the_nearest_parent(t in containers(), extra in "[A-Z][a-z]{1,5}") {
        let mut lines = Vec::new();
        let mut pos = Vec::new();
        yaml(&t, 0, &JsonPath::root(), &mut lines, &mut pos);
        let text = lines.join("\n") + "\n";
        let root = parse_yaml(&text).documents.remove(0).1;
        for (path, want) in &pos {
            // Keys start lower-case, so an upper-case key never exists.
            let (got, depth) = root.locate(&path.key(&extra));
            prop_assert_eq!(depth, path.segments().len());
            prop_assert_eq!(got, *want);
        }
    }
}
