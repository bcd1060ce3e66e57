//! Format-preserving edits of YAML (and JSON) text: what `kaegis fix` uses to
//! apply a [`Fix`](kaegis_core::Fix) to a file without touching anything else.
//!
//! The text is parsed into a tree of byte spans (not values): for each node
//! where it starts and ends, whether a collection is in block or flow style,
//! and the column of block items. An [`Edit`] then becomes one splice of the
//! text: a scalar's span replaced, an entry inserted after the last line of a
//! block mapping at that mapping's indentation, an item inserted before the
//! `]` of a flow sequence. Comments, key order, quoting and blank lines of
//! everything else stay byte for byte. Each edit re-parses the text it
//! produced, so a second edit sees what the first created; the result is
//! checked against the value parser before it is returned.

use kaegis_core::fix::Edit;
use kaegis_core::path::Segment;
use kaegis_core::{Node, Pos, Value};
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::Value as Json;

use crate::yaml::parse_yaml;

/// Why an edit could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EditError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, EditError> {
    Err(EditError(msg.into()))
}

#[derive(Debug)]
enum Kind {
    Scalar {
        style: ScalarStyle,
    },
    Map {
        flow: bool,
        entries: Vec<(String, SNode)>,
        merge: bool,
    },
    Seq {
        flow: bool,
        items: Vec<SNode>,
    },
    Alias,
}

/// A node's place in the text: byte offsets `[start, end)`, 0-based line
/// and column (in characters) of its start.
#[derive(Debug)]
struct SNode {
    start: usize,
    end: usize,
    line: usize,
    col: usize,
    kind: Kind,
}

enum Frame {
    Map {
        node: SNode,
        key: Option<(String, bool)>,
    },
    Seq {
        node: SNode,
    },
}

/// Character index → byte offset, for a text that may not be ASCII.
struct Offsets<'a> {
    text: &'a str,
    table: Option<Vec<usize>>,
}

impl<'a> Offsets<'a> {
    fn new(text: &'a str) -> Self {
        let table = (!text.is_ascii()).then(|| {
            let mut t: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
            t.push(text.len());
            t
        });
        Self { text, table }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.table {
            None => char_index.min(self.text.len()),
            Some(t) => t.get(char_index).copied().unwrap_or(self.text.len()),
        }
    }
}

/// The end of a quoted scalar that starts at `start` (saphyr's span of a
/// double-quoted scalar may run on over trailing spaces and comments).
fn quoted_end(text: &str, start: usize) -> Option<usize> {
    let b = text.as_bytes();
    let quote = *b.get(start)?;
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' if quote == b'"' => i += 2,
            c if c == quote => {
                if quote == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                } else {
                    return Some(i + 1);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// The root nodes of every document of a text, in document order (numbered
/// the way [`parse_yaml`] numbers them).
fn span_documents(text: &str) -> Result<Vec<(u32, SNode)>, EditError> {
    let offsets = Offsets::new(text);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut doc_index = 0u32;
    let mut in_doc = false;
    let mut root: Option<SNode> = None;
    let node_at = |span: &Span, kind: Kind| SNode {
        start: offsets.byte(span.start.index()),
        end: offsets.byte(span.end.index()),
        line: span.start.line().saturating_sub(1),
        col: span.start.col(),
        kind,
    };
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| {
            EditError(format!(
                "{}:{}: {}",
                e.marker().line(),
                e.marker().col() + 1,
                e.info()
            ))
        })?;
        let done = match event {
            Event::StreamStart | Event::Nothing => None,
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                in_doc = true;
                None
            }
            Event::DocumentEnd => {
                if let Some(r) = root.take() {
                    docs.push((doc_index, r));
                }
                if in_doc {
                    doc_index += 1;
                }
                in_doc = false;
                None
            }
            Event::Scalar(_, style, _, _) => {
                let mut n = node_at(&span, Kind::Scalar { style });
                if matches!(style, ScalarStyle::DoubleQuoted | ScalarStyle::SingleQuoted) {
                    n.end = quoted_end(text, n.start).unwrap_or(n.end);
                }
                Some(n)
            }
            Event::Alias(_) => Some(node_at(&span, Kind::Alias)),
            Event::MappingStart(..) => {
                let flow = text.as_bytes().get(offsets.byte(span.start.index())) == Some(&b'{');
                stack.push(Frame::Map {
                    node: node_at(
                        &span,
                        Kind::Map {
                            flow,
                            entries: Vec::new(),
                            merge: false,
                        },
                    ),
                    key: None,
                });
                None
            }
            Event::SequenceStart(..) => {
                let flow = text.as_bytes().get(offsets.byte(span.start.index())) == Some(&b'[');
                stack.push(Frame::Seq {
                    node: node_at(
                        &span,
                        Kind::Seq {
                            flow,
                            items: Vec::new(),
                        },
                    ),
                });
                None
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let mut node = match stack.pop() {
                    Some(Frame::Map { node, .. } | Frame::Seq { node }) => node,
                    None => return err("unbalanced collection"),
                };
                let flow = matches!(
                    node.kind,
                    Kind::Map { flow: true, .. } | Kind::Seq { flow: true, .. }
                );
                node.end = if flow {
                    offsets.byte(span.end.index())
                } else {
                    // A block collection ends where its last value ends.
                    match &node.kind {
                        Kind::Map { entries, .. } => {
                            entries.last().map_or(node.start, |(_, v)| v.end)
                        }
                        Kind::Seq { items, .. } => items.last().map_or(node.start, |v| v.end),
                        _ => node.start,
                    }
                };
                Some(node)
            }
        };
        let Some(node) = done else { continue };
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { node: seq }) => {
                if let Kind::Seq { items, .. } = &mut seq.kind {
                    items.push(node);
                }
            }
            Some(Frame::Map { node: map, key }) => match key.take() {
                None => {
                    let k = match &node.kind {
                        Kind::Scalar { .. } => scalar_text(text, &node),
                        _ => String::new(),
                    };
                    let plain_merge = matches!(
                        node.kind,
                        Kind::Scalar {
                            style: ScalarStyle::Plain
                        }
                    ) && k == "<<";
                    *key = Some((k, plain_merge));
                }
                Some((k, is_merge)) => {
                    if let Kind::Map { entries, merge, .. } = &mut map.kind {
                        if is_merge {
                            *merge = true;
                        } else {
                            entries.push((k, node));
                        }
                    }
                }
            },
        }
    }
    Ok(docs)
}

/// The text of a scalar key, unquoted (keys are simple in manifests).
fn scalar_text(text: &str, node: &SNode) -> String {
    let raw = &text[node.start..node.end.max(node.start)];
    match raw.as_bytes().first() {
        Some(b'"') => {
            serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.trim_matches('"').to_owned())
        }
        Some(b'\'') => raw[1..raw.len().saturating_sub(1)].replace("''", "'"),
        _ => raw.trim_end().to_owned(),
    }
}

/// The node that starts at `pos` (an object inside a `List` document).
fn find_at(node: &SNode, line: usize, col: usize) -> Option<&SNode> {
    if node.line == line && node.col == col {
        return Some(node);
    }
    match &node.kind {
        Kind::Map { entries, .. } => entries.iter().find_map(|(_, v)| find_at(v, line, col)),
        Kind::Seq { items, .. } => items.iter().find_map(|v| find_at(v, line, col)),
        _ => None,
    }
}

/// How a file lays out block collections, read from the file itself.
#[derive(Clone, Copy, Debug)]
struct Style {
    /// Spaces a nested block mapping is indented by.
    step: usize,
    /// Spaces a block sequence's `-` is indented past its key (0 for the
    /// "indentless" style kubectl writes).
    seq_offset: usize,
    /// The document is JSON (flow collections, quoted keys).
    json: bool,
}

fn detect_style(text: &str, root: &SNode) -> Style {
    fn walk(text: &str, node: &SNode, step: &mut Option<usize>, seq: &mut Option<usize>) {
        if let Kind::Map {
            flow: false,
            entries,
            ..
        } = &node.kind
        {
            for (_, v) in entries {
                match &v.kind {
                    Kind::Map { flow: false, .. } if step.is_none() && v.col > node.col => {
                        *step = Some(v.col - node.col);
                    }
                    Kind::Seq { flow: false, items } if seq.is_none() => {
                        if let Some(first) = items.first()
                            && let Some(dash) = dash_col(text, first.start)
                        {
                            *seq = Some(dash.saturating_sub(node.col));
                        }
                    }
                    _ => {}
                }
                walk(text, v, step, seq);
            }
        }
        if let Kind::Seq { items, .. } = &node.kind {
            for v in items {
                walk(text, v, step, seq);
            }
        }
    }
    let (mut step, mut seq) = (None, None);
    walk(text, root, &mut step, &mut seq);
    let json = matches!(root.kind, Kind::Map { flow: true, .. });
    Style {
        step: step.unwrap_or(2).clamp(1, 8),
        seq_offset: seq.unwrap_or(0).min(8),
        json,
    }
}

/// The column of the `-` of the block sequence item that starts at byte
/// `start`, when it is on the same line.
fn dash_col(text: &str, start: usize) -> Option<usize> {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..start];
    let trimmed = before.trim_end();
    if !trimmed.ends_with('-') {
        return None;
    }
    Some(trimmed[..trimmed.len() - 1].chars().count())
}

/// The byte offset of the end of the line holding the last non-blank
/// character before `end` (where a new block line goes).
fn line_end_after(text: &str, end: usize) -> usize {
    let mut e = end.min(text.len());
    while e > 0 && text.as_bytes()[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    let at = text[e..].find('\n').map_or(text.len(), |i| e + i);
    if at > e && text.as_bytes()[at - 1] == b'\r' {
        at - 1
    } else {
        at
    }
}

fn is_plain_safe(s: &str) -> bool {
    let reserved = [
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~", "",
    ];
    !reserved.iter().any(|r| s.eq_ignore_ascii_case(r))
        && s.parse::<f64>().is_err()
        && !s.starts_with(|c: char| !(c.is_ascii_alphanumeric() || c == '/' || c == '.'))
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./@:".contains(c))
        && !s.contains(": ")
        && !s.ends_with(':')
}

/// A value on one line: a scalar, or a flow collection.
fn render_inline(v: &Json, style: Style) -> String {
    match v {
        Json::String(s) if !style.json && is_plain_safe(s) => s.clone(),
        Json::Object(m) if !style.json => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", render_key(k, style), render_inline(v, style)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Json::Array(a) if !style.json => {
            let parts: Vec<String> = a.iter().map(|v| render_inline(v, style)).collect();
            format!("[{}]", parts.join(", "))
        }
        _ if style.json => serde_json::to_string(v).unwrap_or_default(),
        _ => serde_json::to_string(v).unwrap_or_default(),
    }
}

fn render_key(k: &str, style: Style) -> String {
    if !style.json && is_plain_safe(k) {
        k.to_owned()
    } else {
        serde_json::to_string(k).unwrap_or_default()
    }
}

fn is_nonempty_collection(v: &Json) -> bool {
    matches!(v, Json::Object(m) if !m.is_empty()) || matches!(v, Json::Array(a) if !a.is_empty())
}

/// `key: value` as block lines at `indent` (no trailing newline).
fn render_entry(key: &str, v: &Json, indent: usize, style: Style) -> String {
    let pad = " ".repeat(indent);
    let k = render_key(key, style);
    match v {
        Json::Object(_) if is_nonempty_collection(v) => {
            format!("{pad}{k}:\n{}", render_block(v, indent + style.step, style))
        }
        Json::Array(_) if is_nonempty_collection(v) => {
            format!(
                "{pad}{k}:\n{}",
                render_block(v, indent + style.seq_offset, style)
            )
        }
        _ => format!("{pad}{k}: {}", render_inline(v, style)),
    }
}

/// A non-empty collection as block lines at `indent`.
fn render_block(v: &Json, indent: usize, style: Style) -> String {
    match v {
        Json::Object(m) => m
            .iter()
            .map(|(k, v)| render_entry(k, v, indent, style))
            .collect::<Vec<_>>()
            .join("\n"),
        Json::Array(a) => a
            .iter()
            .map(|item| render_item(item, indent, style))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => format!("{}{}", " ".repeat(indent), render_inline(v, style)),
    }
}

/// `- item` at `indent` (the dash's column).
fn render_item(item: &Json, indent: usize, style: Style) -> String {
    let pad = " ".repeat(indent);
    match item {
        Json::Object(m) if !m.is_empty() => {
            let body = render_block(item, indent + 2, style);
            format!("{pad}- {}", &body[indent + 2..])
        }
        _ => format!("{pad}- {}", render_inline(item, style)),
    }
}

/// One splice of a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Splice {
    /// Byte offset where the replaced text starts.
    pub start: usize,
    /// Byte offset where it ends (exclusive).
    pub end: usize,
    /// What replaces it.
    pub text: String,
}

impl Splice {
    /// Applies the splice.
    pub fn apply(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + self.text.len());
        out.push_str(&text[..self.start]);
        out.push_str(&self.text);
        out.push_str(&text[self.end..]);
        out
    }
}

/// Inserts `key: value` into a mapping node.
fn insert_entry(
    text: &str,
    map: &SNode,
    key: &str,
    value: &Json,
    style: Style,
) -> Result<Splice, EditError> {
    let Kind::Map {
        flow,
        entries,
        merge,
    } = &map.kind
    else {
        return err("not a mapping");
    };
    if *merge {
        return err(format!(
            "the mapping at line {} takes keys from a `<<` merge; edit it by hand",
            map.line + 1
        ));
    }
    if *flow {
        let entry = format!(
            "{}: {}",
            render_key(key, style),
            render_inline(value, style)
        );
        return Ok(match entries.last() {
            Some((_, last)) => Splice {
                start: last.end,
                end: last.end,
                text: format!(", {entry}"),
            },
            None => {
                // `{}` or `{ }`: the entry goes inside the braces.
                let close = map.end.saturating_sub(1);
                Splice {
                    start: map.start + 1,
                    end: close.max(map.start + 1),
                    text: entry,
                }
            }
        });
    }
    let indent = entries.first().map_or(map.col, |(_, _)| map.col);
    let at = line_end_after(text, map.end);
    Ok(Splice {
        start: at,
        end: at,
        text: format!("\n{}", render_entry(key, value, indent, style)),
    })
}

/// Replaces a value node with `value`.
fn replace_value(
    text: &str,
    node: &SNode,
    value: &Json,
    key_col: Option<usize>,
    style: Style,
) -> Result<Splice, EditError> {
    // The parser places an empty value on its key's `:`.
    let empty_at = if text.as_bytes().get(node.start) == Some(&b':') {
        node.start + 1
    } else {
        node.start
    };
    match &node.kind {
        Kind::Alias => err("the value is an alias; edit its anchor by hand"),
        Kind::Scalar {
            style: ScalarStyle::Literal | ScalarStyle::Folded,
        } => err("the value is a block scalar; edit it by hand"),
        Kind::Scalar { .. }
            if node.end == node.start && is_nonempty_collection(value) && !style.json =>
        {
            // `key:` with no value: the collection goes on the next lines.
            let indent = key_col.unwrap_or(0)
                + if value.is_array() {
                    style.seq_offset
                } else {
                    style.step
                };
            Ok(Splice {
                start: empty_at,
                end: empty_at,
                text: format!("\n{}", render_block(value, indent, style)),
            })
        }
        Kind::Scalar { .. } if node.end == node.start => Ok(Splice {
            start: empty_at,
            end: empty_at,
            text: format!(" {}", render_inline(value, style)),
        }),
        Kind::Scalar { .. } | Kind::Map { flow: true, .. } | Kind::Seq { flow: true, .. } => {
            Ok(Splice {
                start: node.start,
                end: node.end,
                text: render_inline(value, style),
            })
        }
        _ => err("the value is a block collection; edit it by hand"),
    }
}

/// Appends an item to a sequence node.
fn append_item(text: &str, seq: &SNode, item: &Json, style: Style) -> Result<Splice, EditError> {
    let Kind::Seq { flow, items } = &seq.kind else {
        return err("not a sequence");
    };
    if *flow {
        let rendered = render_inline(item, style);
        return Ok(match items.last() {
            Some(last) => Splice {
                start: last.end,
                end: last.end,
                text: format!(", {rendered}"),
            },
            None => Splice {
                start: seq.start + 1,
                end: seq.end.saturating_sub(1).max(seq.start + 1),
                text: rendered,
            },
        });
    }
    let first = items
        .first()
        .ok_or_else(|| EditError("empty block sequence".into()))?;
    let dash = dash_col(text, first.start).ok_or_else(|| {
        EditError(format!(
            "cannot read the layout of the sequence at line {}",
            seq.line + 1
        ))
    })?;
    let at = line_end_after(text, seq.end);
    Ok(Splice {
        start: at,
        end: at,
        text: format!("\n{}", render_item(item, dash, style)),
    })
}

/// Plans one edit of the object that starts at `object` in document
/// `document` of `text`.
fn plan(text: &str, document: u32, object: Pos, edit: &Edit) -> Result<Option<Splice>, EditError> {
    let mut splice = plan_lf(text, document, object, edit)?;
    // New lines follow the file's own line ending.
    if text.contains("\r\n")
        && let Some(s) = &mut splice
    {
        s.text = s.text.replace('\n', "\r\n");
    }
    Ok(splice)
}

fn plan_lf(
    text: &str,
    document: u32,
    object: Pos,
    edit: &Edit,
) -> Result<Option<Splice>, EditError> {
    let docs = span_documents(text)?;
    let root = docs
        .iter()
        .find(|(i, _)| *i == document)
        .map(|(_, n)| n)
        .ok_or_else(|| EditError(format!("document {document} not found")))?;
    let style = detect_style(text, root);
    let obj = find_at(
        root,
        object.line.saturating_sub(1) as usize,
        object.col.saturating_sub(1) as usize,
    )
    .ok_or_else(|| EditError(format!("no object starts at {object}")))?;
    let segs = edit.path().segments();
    let mut node = obj;
    let mut key_col = None;
    let mut depth = 0;
    for seg in segs {
        if matches!(node.kind, Kind::Alias) {
            return err("the path goes through an alias; edit its anchor by hand");
        }
        let next = match (seg, &node.kind) {
            (Segment::Key(k), Kind::Map { entries, merge, .. }) => {
                match entries.iter().rev().find(|(ek, _)| ek == &**k) {
                    Some((_, v)) => Some(v),
                    None if *merge => {
                        return err("the mapping takes keys from a `<<` merge; edit it by hand");
                    }
                    None => None,
                }
            }
            (Segment::Index(i), Kind::Seq { items, .. }) => items.get(*i as usize),
            _ => None,
        };
        match next {
            Some(n) => {
                if let Segment::Key(_) = seg {
                    key_col = Some(node.col);
                }
                node = n;
                depth += 1;
            }
            None => break,
        }
    }
    let (value, append) = match edit {
        Edit::Set { value, .. } => (value.clone(), false),
        Edit::Append { value, .. } => (value.clone(), true),
    };
    if depth == segs.len() {
        if append {
            if matches!(node.kind, Kind::Seq { .. }) {
                return append_item(text, node, &value, style).map(Some);
            }
            return replace_value(text, node, &Json::Array(vec![value]), key_col, style).map(Some);
        }
        return replace_value(text, node, &value, key_col, style).map(Some);
    }
    // Build the missing tail as one nested value under the first missing key.
    let mut nested = if append {
        Json::Array(vec![value])
    } else {
        value
    };
    for seg in segs[depth + 1..].iter().rev() {
        let Segment::Key(k) = seg else {
            return err("cannot create a sequence item");
        };
        let mut m = serde_json::Map::new();
        m.insert(k.to_string(), nested);
        nested = Json::Object(m);
    }
    let Segment::Key(first) = &segs[depth] else {
        return err("cannot create a sequence item");
    };
    match &node.kind {
        Kind::Map { .. } => insert_entry(text, node, first, &nested, style).map(Some),
        Kind::Scalar { .. }
            if node.start == node.end
                || scalar_text(text, node) == "null"
                || scalar_text(text, node) == "~" =>
        {
            let mut m = serde_json::Map::new();
            m.insert(first.to_string(), nested);
            replace_value(text, node, &Json::Object(m), key_col, style).map(Some)
        }
        _ => err("the parent of the value is not a mapping"),
    }
}

/// The value at a path of a parsed object, for the check after editing.
fn value_at<'a>(root: &'a Node, segs: &[Segment]) -> Option<&'a Node> {
    let mut node = root;
    for seg in segs {
        node = match seg {
            Segment::Key(k) => node.get(k)?,
            Segment::Index(i) => node.items().get(*i as usize)?,
        };
    }
    Some(node)
}

fn matches_json(node: &Node, v: &Json) -> bool {
    match (v, &node.value) {
        (Json::Null, Value::Null) => true,
        (Json::Bool(b), _) => node.as_bool() == Some(*b),
        (Json::Number(n), _) => n.as_i64().is_some_and(|n| node.as_i64() == Some(n)),
        (Json::String(s), _) => node.as_str() == Some(s),
        (Json::Array(a), Value::Seq(items)) => {
            a.len() == items.len() && a.iter().zip(items).all(|(v, n)| matches_json(n, v))
        }
        (Json::Object(m), Value::Map(_)) => m
            .iter()
            .all(|(k, v)| node.get(k).is_some_and(|n| matches_json(n, v))),
        _ => false,
    }
}

/// Edits the documents of one text. The text is parsed once; each edit
/// works on one document's lines alone (re-parsed after every step and
/// verified), so a fix in a 30,000-line bundle costs what the document costs.
pub struct Editor<'a> {
    text: &'a str,
    /// `(document index, byte range of its lines, lines before it)`.
    docs: Vec<(u32, std::ops::Range<usize>, u32)>,
}

impl<'a> Editor<'a> {
    /// Reads the documents of `text`; an error when the text is not strict
    /// YAML (only kubectl's lenient reader takes it).
    pub fn new(text: &'a str) -> Result<Self, EditError> {
        let docs = span_documents(text).map_err(|e| {
            EditError(format!(
                "the file is YAML only kubectl's lenient reader accepts ({}); fix it by hand",
                e.0
            ))
        })?;
        let docs = docs
            .into_iter()
            .map(|(i, root)| {
                let start = text[..root.start].rfind('\n').map_or(0, |n| n + 1);
                let end = text[root.end.min(text.len())..]
                    .find('\n')
                    .map_or(text.len(), |n| root.end + n);
                let end = end.max(start);
                let lines = text[..start].bytes().filter(|b| *b == b'\n').count() as u32;
                (i, start..end, lines)
            })
            .collect();
        Ok(Self { text, docs })
    }

    /// The byte range of a document's lines and the number of lines before
    /// them.
    pub fn document(&self, document: u32) -> Option<(std::ops::Range<usize>, u32)> {
        self.docs
            .iter()
            .find(|(i, _, _)| *i == document)
            .map(|(_, r, l)| (r.clone(), *l))
    }

    /// Applies `edits` to the object that starts at `object` in document
    /// `document`. Returns the byte range of that document's lines in the
    /// text and their new text. Each step is verified by parsing: the file
    /// stays valid and every value is there.
    pub fn edit(
        &self,
        document: u32,
        object: Pos,
        edits: &[Edit],
    ) -> Result<(std::ops::Range<usize>, String), EditError> {
        let (_, range, lines) = self
            .docs
            .iter()
            .find(|(i, _, _)| *i == document)
            .ok_or_else(|| EditError(format!("document {document} not found")))?;
        let local = Pos::new(object.line.saturating_sub(*lines), object.col);
        let original = &self.text[range.clone()];
        let mut cur = original.to_owned();
        for edit in edits {
            if let Some(splice) = plan(&cur, 0, local, edit)? {
                cur = splice.apply(&cur);
            }
        }
        let after = parse_yaml(&cur);
        if let Some(e) = after.error {
            return err(format!("the edit would break the file ({e})"));
        }
        let [(0, root)] = &after.documents[..] else {
            return err("the edit would change the number of documents");
        };
        let obj = find_node(root, local).ok_or_else(|| EditError("object lost".into()))?;
        for edit in edits {
            let ok = match edit {
                Edit::Set { path, value } => {
                    value_at(obj, path.segments()).is_some_and(|n| matches_json(n, value))
                }
                Edit::Append { path, value } => value_at(obj, path.segments())
                    .is_some_and(|n| n.items().iter().any(|item| matches_json(item, value))),
            };
            if !ok {
                return err(format!("the edit of {} did not take", edit.path()));
            }
        }
        Ok((range.clone(), cur))
    }
}

/// Applies `edits` to the object that starts at `object` in document
/// `document` of `text` and returns the new text (see [`Editor`]).
pub fn apply(text: &str, document: u32, object: Pos, edits: &[Edit]) -> Result<String, EditError> {
    let (range, new) = Editor::new(text)?.edit(document, object, edits)?;
    let mut out = String::with_capacity(text.len() + new.len());
    out.push_str(&text[..range.start]);
    out.push_str(&new);
    out.push_str(&text[range.end..]);
    Ok(out)
}

fn find_node(node: &Node, pos: Pos) -> Option<&Node> {
    if node.pos == pos {
        return Some(node);
    }
    match &node.value {
        Value::Map(entries) => entries.iter().find_map(|e| find_node(&e.value, pos)),
        Value::Seq(items) => items.iter().find_map(|n| find_node(n, pos)),
        _ => None,
    }
}

/// The single splice that turns `old` into `new` (their common prefix and
/// suffix left out), for reporters that publish a fix as a text replacement.
pub fn difference(old: &str, new: &str) -> Splice {
    let prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let mut prefix = prefix;
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    Splice {
        start: prefix,
        end: old.len() - suffix,
        text: new[prefix..new.len() - suffix].to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaegis_core::JsonPath;
    use serde_json::json;

    fn set(path: &str, v: Json) -> Edit {
        Edit::Set {
            path: JsonPath::parse(path).unwrap(),
            value: v,
        }
    }

    fn append(path: &str, v: Json) -> Edit {
        Edit::Append {
            path: JsonPath::parse(path).unwrap(),
            value: v,
        }
    }

    const POD: &str = "# a pod\napiVersion: v1\nkind: Pod\nmetadata:\n  name: \"web\"   # quoted\n  labels: {app: web}\nspec:\n  containers:\n  - name: app   # the app\n    image: nginx:1.25\n    securityContext:\n      privileged: true # bad\n    ports:\n    - containerPort: 80\n  # trailing comment\n";

    #[test]
    fn replaces_a_scalar_and_keeps_its_comment() {
        let out = apply(
            POD,
            0,
            Pos::new(2, 1),
            &[set(
                "spec.containers[0].securityContext.privileged",
                json!(false),
            )],
        )
        .unwrap();
        assert_eq!(
            out,
            POD.replace("privileged: true # bad", "privileged: false # bad")
        );
    }

    #[test]
    fn adds_entries_at_the_mapping_indentation_and_creates_parents() {
        let out = apply(
            POD,
            0,
            Pos::new(2, 1),
            &[
                set(
                    "spec.containers[0].securityContext.allowPrivilegeEscalation",
                    json!(false),
                ),
                append(
                    "spec.containers[0].securityContext.capabilities.drop",
                    json!("ALL"),
                ),
                set(
                    "spec.securityContext.seccompProfile.type",
                    json!("RuntimeDefault"),
                ),
                set("metadata.labels.tier", json!("front")),
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            "# a pod\napiVersion: v1\nkind: Pod\nmetadata:\n  name: \"web\"   # quoted\n  labels: {app: web, tier: front}\nspec:\n  containers:\n  - name: app   # the app\n    image: nginx:1.25\n    securityContext:\n      privileged: true # bad\n      allowPrivilegeEscalation: false\n      capabilities:\n        drop:\n        - ALL\n    ports:\n    - containerPort: 80\n  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n  # trailing comment\n"
        );
    }

    #[test]
    fn appends_to_block_and_flow_sequences() {
        let text = "kind: X\napiVersion: v1\na:\n  - x\nb: [x]\nc: []\n";
        let out = apply(
            text,
            0,
            Pos::new(1, 1),
            &[
                append("a", json!("z")),
                append("b", json!("z")),
                append("c", json!("yes")),
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            "kind: X\napiVersion: v1\na:\n  - x\n  - z\nb: [x, z]\nc: [\"yes\"]\n"
        );
    }

    #[test]
    fn edits_json_as_json() {
        let text = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"spec\": {\"securityContext\": {}}\n}\n";
        let out = apply(
            text,
            0,
            Pos::new(1, 1),
            &[
                set("spec.securityContext.runAsNonRoot", json!(true)),
                set("spec.hostNetwork", json!(false)),
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"spec\": {\"securityContext\": {\"runAsNonRoot\": true}, \"hostNetwork\": false}\n}\n"
        );
        serde_json::from_str::<Json>(&out).unwrap();
    }

    #[test]
    fn edits_the_right_document_and_list_item() {
        let text = "a: 1\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  spec: {}\n- apiVersion: v1\n  kind: Pod\n  spec:\n    hostPID: true\n";
        let out = apply(
            text,
            1,
            Pos::new(9, 3),
            &[
                set("spec.hostPID", json!(false)),
                set("spec.hostIPC", json!(false)),
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            text.replace("hostPID: true\n", "hostPID: false\n    hostIPC: false\n")
        );
    }

    #[test]
    fn fills_an_empty_value() {
        let text = "apiVersion: v1\nkind: Pod\nspec:\n  securityContext:\n  x: 1\n";
        let out = apply(
            text,
            0,
            Pos::new(1, 1),
            &[set("spec.securityContext.runAsNonRoot", json!(true))],
        )
        .unwrap();
        assert_eq!(
            out,
            "apiVersion: v1\nkind: Pod\nspec:\n  securityContext:\n    runAsNonRoot: true\n  x: 1\n"
        );
    }

    #[test]
    fn refuses_aliases_merges_and_block_scalars() {
        let text =
            "apiVersion: v1\nkind: Pod\nbase: &b {x: 1}\nspec:\n  <<: *b\n  y: |\n    text\n";
        assert!(apply(text, 0, Pos::new(1, 1), &[set("spec.z", json!(1))]).is_err());
        assert!(apply(text, 0, Pos::new(1, 1), &[set("spec.y", json!("t"))]).is_err());
    }

    #[test]
    fn quoted_strings_stay_valid() {
        let text = "apiVersion: v1\nkind: Pod\nspec: {}\n";
        let out = apply(
            text,
            0,
            Pos::new(1, 1),
            &[
                set("spec.image", json!("registry/app:1@sha256:ab")),
                set("spec.on", json!("yes")),
                set("spec.m", json!("a: b")),
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            "apiVersion: v1\nkind: Pod\nspec: {image: registry/app:1@sha256:ab, \"on\": \"yes\", m: \"a: b\"}\n"
        );
    }

    #[test]
    fn keeps_crlf_line_endings() {
        let text = "apiVersion: v1\r\nkind: Pod\r\nspec:\r\n  hostPID: true\r\n";
        let out = apply(
            text,
            0,
            Pos::new(1, 1),
            &[
                set("spec.hostPID", json!(false)),
                set("spec.securityContext.runAsNonRoot", json!(true)),
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            "apiVersion: v1\r\nkind: Pod\r\nspec:\r\n  hostPID: false\r\n  securityContext:\r\n    runAsNonRoot: true\r\n"
        );
    }

    #[test]
    fn difference_is_one_splice() {
        let d = difference("abcXdef", "abcYYdef");
        assert_eq!(
            d,
            Splice {
                start: 3,
                end: 4,
                text: "YY".into()
            }
        );
        assert_eq!(d.apply("abcXdef"), "abcYYdef");
        let d = difference("aé", "aéb");
        assert_eq!(d.apply("aé"), "aéb");
    }
}
