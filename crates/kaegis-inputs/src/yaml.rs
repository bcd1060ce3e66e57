//! YAML (and JSON, which is YAML) into [`Node`] trees, with positions.
//!
//! Built on `saphyr-parser`'s event stream rather than a generic YAML value
//! type: we keep scalars as text (resolved lazily by [`Node`]), keep mapping
//! order, expand aliases under a budget, apply YAML 1.1 merge keys (`<<`) as
//! the Kubernetes decoder does, and bound nesting depth so that no input can
//! exhaust the stack.

use std::collections::HashMap;

use kaegis_core::{Entry, Node, Pos, Value};
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use crate::ParseError;

/// Deepest nesting accepted; real manifests stay far below.
pub const MAX_DEPTH: usize = 256;
/// Most nodes one file may expand to through aliases (billion laughs).
pub const MAX_ALIAS_NODES: usize = 1_000_000;

/// The documents of one YAML stream.
#[derive(Debug, Default)]
pub struct YamlStream {
    /// `(document index, root)` for every non-empty document parsed before
    /// any error.
    pub documents: Vec<(u32, Node)>,
    /// The first error, if the stream is not valid YAML. Documents before it
    /// are still returned.
    pub error: Option<ParseError>,
    /// True when some mapping key was itself a mapping or a sequence: legal
    /// YAML, never Kubernetes, and the mark of an unrendered `{{ }}` template.
    pub complex_keys: bool,
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(Box<str>, Pos, bool)>,
        /// Values of `<<` merge keys, applied when the mapping ends so that
        /// the mapping's own keys win wherever they are written.
        merges: Vec<Node>,
    },
}

fn pos_of(span: &Span, pads: &[u32]) -> Pos {
    marker_pos(span.start.line(), span.start.col(), pads)
}

/// A 1-based position from saphyr's 1-based line and 0-based column, undoing
/// any indentation the lenient repair added to that line.
fn marker_pos(line: usize, col: usize, pads: &[u32]) -> Pos {
    let pad = pads.get(line.wrapping_sub(1)).copied().unwrap_or(0);
    Pos::new(line as u32, (col as u32).saturating_sub(pad) + 1)
}

/// Renders a non-scalar key as compact text.
fn key_text(node: &Node) -> Box<str> {
    fn render(node: &Node, out: &mut String) {
        match &node.value {
            Value::Null => out.push_str("null"),
            Value::Scalar { text, .. } => out.push_str(text),
            Value::Seq(items) => {
                out.push('[');
                for (i, n) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    render(n, out);
                }
                out.push(']');
            }
            Value::Map(entries) => {
                out.push('{');
                for (i, e) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&e.key);
                    out.push_str(": ");
                    render(&e.value, out);
                }
                out.push('}');
            }
        }
    }
    let mut s = String::new();
    render(node, &mut s);
    s.into()
}

fn scalar_node(text: &str, style: ScalarStyle, tag: Option<&Tag>, pos: Pos) -> Node {
    let core_tag = tag
        .filter(|t| t.is_yaml_core_schema() || t.handle == "!!")
        .map(|t| t.suffix.as_str());
    match (core_tag, style) {
        (Some("str"), _) => Node::quoted_scalar(pos, text),
        (Some("null"), _) => Node::new(pos, Value::Null),
        (Some(_), _) | (None, ScalarStyle::Plain) => Node::plain_scalar(pos, text),
        (None, _) => Node::quoted_scalar(pos, text),
    }
}

/// Applies YAML 1.1 merge keys: entries of the merged mapping(s) that the
/// mapping does not set itself.
fn merge_into(entries: &mut Vec<Entry>, merged: Node) {
    let sources: Vec<Node> = match merged.value {
        Value::Map(_) => vec![merged],
        Value::Seq(items) => items,
        _ => return,
    };
    for src in sources {
        if let Value::Map(src_entries) = src.value {
            for e in src_entries {
                if !entries.iter().any(|x| x.key == e.key) {
                    entries.push(e);
                }
            }
        }
    }
}

struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    alias_budget: usize,
    complex_keys: bool,
}

impl Builder {
    /// Adds a finished node to its parent; returns it when it is a document root.
    fn finish(&mut self, node: Node, anchor: usize) -> Option<Node> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => Some(node),
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                None
            }
            Some(Frame::Map {
                entries,
                key,
                merges,
                ..
            }) => {
                match key.take() {
                    None => {
                        let plain_merge = matches!(
                            &node.value,
                            Value::Scalar { text, plain: true } if &**text == "<<"
                        );
                        let text = match &node.value {
                            Value::Scalar { text, .. } => text.clone(),
                            Value::Null => "null".into(),
                            _ => {
                                self.complex_keys = true;
                                key_text(&node)
                            }
                        };
                        *key = Some((text, node.pos, plain_merge));
                    }
                    Some((_, _, true)) => merges.push(node),
                    Some((k, key_pos, false)) => entries.push(Entry {
                        key: k,
                        key_pos,
                        value: node,
                    }),
                }
                None
            }
        }
    }
}

/// Parses a YAML stream (any number of documents).
///
/// Kubernetes' own YAML decoder (go-yaml) accepts flow collections and
/// multi-line quoted scalars whose continuation lines are not indented past
/// their parent, which YAML 1.2 forbids; `kubectl apply` takes such files, so
/// kaegis must read them too. When the strict parse fails for that reason,
/// the offending continuation lines are indented (which changes no value: the
/// lines are inside a flow collection or a folded quoted scalar) and the
/// stream is parsed again; positions are mapped back to the original columns.
pub fn parse_yaml(text: &str) -> YamlStream {
    let first = parse_stream(text, &[]);
    if !first.error.as_ref().is_some_and(is_indentation_error) {
        return first;
    }
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    let mut pads = vec![0u32; lines.len()];
    let mut error = first.error.clone();
    for _ in 0..64 {
        let Some(e) = error.as_ref().filter(|e| is_indentation_error(e)) else {
            break;
        };
        if !repair_indentation(&mut lines, &mut pads, e) {
            break;
        }
        let again = parse_stream(&lines.join("\n"), &pads);
        if again.error.is_none() {
            return again;
        }
        error = again.error;
    }
    first
}

fn is_indentation_error(e: &ParseError) -> bool {
    e.message.starts_with("invalid indentation")
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Indents the continuation lines an indentation error is about; false when
/// there is nothing to change.
fn repair_indentation(lines: &mut [String], pads: &mut [u32], e: &ParseError) -> bool {
    let at = e.pos.line as usize - 1;
    if at >= lines.len() {
        return false;
    }
    let mut pad = |lines: &mut [String], i: usize, want: usize| -> bool {
        let have = indent_of(&lines[i]);
        if have >= want || lines[i].trim().is_empty() {
            return false;
        }
        let add = want - have;
        lines[i].insert_str(0, &" ".repeat(add));
        pads[i] += add as u32;
        true
    };
    if e.message.contains("quoted scalar") {
        // The error points into the line that opens the scalar: indent every
        // continuation line up to the one that closes it past the opening
        // line's own indentation.
        let opener = &lines[at];
        let Some(quote) = opener
            .rfind(['\'', '"'])
            .map(|i| opener.as_bytes()[i] as char)
        else {
            return false;
        };
        let want = indent_of(opener) + 1;
        let mut changed = false;
        for i in at + 1..lines.len() {
            changed |= pad(lines, i, want);
            if lines[i].contains(quote) {
                break;
            }
        }
        changed
    } else {
        // A flow collection's line: indent it past the block it sits in.
        let want = indent_of(&lines[at]) + 2;
        pad(lines, at, want)
    }
}

fn parse_stream(text: &str, pads: &[u32]) -> YamlStream {
    let mut out = YamlStream::default();
    let mut b = Builder {
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_budget: MAX_ALIAS_NODES,
        complex_keys: false,
    };
    let mut doc_index: u32 = 0;
    let mut doc_root: Option<Node> = None;
    let mut in_doc = false;
    for item in Parser::new_from_str(text) {
        let (event, span) = match item {
            Ok(ev) => ev,
            Err(e) => {
                out.error = Some(ParseError {
                    pos: marker_pos(e.marker().line(), e.marker().col(), pads),
                    message: e.info().to_owned(),
                });
                break;
            }
        };
        let pos = pos_of(&span, pads);
        let finished = match event {
            Event::StreamStart | Event::Nothing => None,
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                in_doc = true;
                b.anchors.clear();
                None
            }
            Event::DocumentEnd => {
                if let Some(root) = doc_root.take() {
                    out.documents.push((doc_index, root));
                }
                if in_doc {
                    doc_index += 1;
                }
                in_doc = false;
                None
            }
            Event::Scalar(value, style, anchor, tag) => {
                let node = scalar_node(&value, style, tag.as_deref(), pos);
                b.finish(node, anchor)
            }
            Event::Alias(id) => match b.anchors.get(&id) {
                Some(node) => {
                    let n = node.count();
                    if n > b.alias_budget {
                        out.error = Some(ParseError {
                            pos,
                            message: "aliases expand to too many nodes (possible alias bomb)"
                                .into(),
                        });
                        break;
                    }
                    b.alias_budget -= n;
                    let mut node = node.clone();
                    node.pos = pos;
                    b.finish(node, 0)
                }
                None => {
                    out.error = Some(ParseError {
                        pos,
                        message: "alias to an unknown anchor".into(),
                    });
                    break;
                }
            },
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if b.stack.len() >= MAX_DEPTH {
                    out.error = Some(ParseError {
                        pos,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                    break;
                }
                let frame = if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        pos,
                        anchor,
                        items: Vec::new(),
                    }
                } else {
                    Frame::Map {
                        pos,
                        anchor,
                        entries: Vec::new(),
                        key: None,
                        merges: Vec::new(),
                    }
                };
                b.stack.push(frame);
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match b.stack.pop() {
                Some(Frame::Seq { pos, anchor, items }) => {
                    b.finish(Node::new(pos, Value::Seq(items)), anchor)
                }
                Some(Frame::Map {
                    pos,
                    anchor,
                    mut entries,
                    merges,
                    ..
                }) => {
                    for m in merges {
                        merge_into(&mut entries, m);
                    }
                    b.finish(Node::new(pos, Value::Map(entries)), anchor)
                }
                None => None,
            },
        };
        if let Some(root) = finished
            && !root.is_null()
        {
            doc_root = Some(root);
        }
    }
    // The depth limit above keeps the recursive drop of partial trees safe.
    out.complex_keys = b.complex_keys;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_documents() {
        let s = parse_yaml("a: 1\nb:\n  - x\n  - 'y'\n---\n---\nc: d\n");
        assert!(s.error.is_none());
        assert_eq!(s.documents.len(), 2);
        assert_eq!(s.documents[1].0, 2);
        let root = &s.documents[0].1;
        let b = root.entry("b").unwrap();
        assert_eq!(b.key_pos, Pos::new(2, 1));
        assert_eq!(b.value.items()[1].pos, Pos::new(4, 5));
        assert_eq!(b.value.items()[1].as_str(), Some("y"));
    }

    #[test]
    fn merge_keys_and_aliases() {
        let s = parse_yaml("base: &b\n  x: 1\n  y: 2\nuse:\n  <<: *b\n  y: 3\n");
        assert!(s.error.is_none(), "{:?}", s.error);
        let u = s.documents[0].1.get("use").unwrap();
        assert_eq!(u.get("x").unwrap().as_i64(), Some(1));
        assert_eq!(u.get("y").unwrap().as_i64(), Some(3));
    }

    #[test]
    fn errors_have_positions_and_keep_earlier_documents() {
        let s = parse_yaml("a: 1\n---\nb: [1, 2\nc: 3\n");
        assert_eq!(s.documents.len(), 1);
        let e = s.error.unwrap();
        assert!(e.pos.line >= 3, "{e:?}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        let s = parse_yaml(&text);
        assert!(s.error.is_some());
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let s = parse_yaml(&text);
        assert!(s.error.is_some());
    }

    #[test]
    fn complex_keys_mark_templates() {
        let s = parse_yaml("image: {{ .Values.image }}\n");
        assert!(s.complex_keys || s.error.is_some());
    }

    #[test]
    fn lenient_indentation_like_kubectl() {
        let flow = "a:\n  args: [\n    \"x\",\n  ]\n  b: 1\n";
        let s = parse_yaml(flow);
        assert!(s.error.is_none(), "{:?}", s.error);
        let a = s.documents[0].1.get("a").unwrap();
        assert_eq!(a.get("args").unwrap().items().len(), 1);
        assert_eq!(a.entry("b").unwrap().key_pos, Pos::new(5, 3));
        let quoted = "m:\n  k: '[\n      {\"a\": 1}\n  ]'\n  z: 2\n";
        let s = parse_yaml(quoted);
        assert!(s.error.is_none(), "{:?}", s.error);
        let m = s.documents[0].1.get("m").unwrap();
        assert_eq!(m.get("k").unwrap().as_str(), Some("[ {\"a\": 1} ]"));
        assert_eq!(m.get("z").unwrap().as_i64(), Some(2));
    }

    #[test]
    fn str_tag_keeps_text() {
        let s = parse_yaml("a: !!str true\nb: true\n");
        let r = &s.documents[0].1;
        assert_eq!(r.get("a").unwrap().as_bool(), None);
        assert_eq!(r.get("b").unwrap().as_bool(), Some(true));
    }
}
