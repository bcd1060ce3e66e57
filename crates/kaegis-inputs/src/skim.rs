//! Skimming CustomResourceDefinition bodies.
//!
//! CRDs are most of the bytes of real manifest repositories (90% of the
//! shared real-world corpus) and no check reads their `spec`: building a tree
//! for an OpenAPI schema of thousands of lines is wasted work. Malformed YAML
//! must still be reported, though.
//!
//! So, before parsing, [`blank_crd_specs`] finds each top-level `spec:` block
//! of a `kind: CustomResourceDefinition` document and runs [`is_simple_block`]
//! over it: a strict recogniser of the plain block-YAML subset that such
//! schemas are written in (block mappings and sequences, one-line plain,
//! quoted and flow scalars, block scalars, comments). When it recognises
//! every line, the block is well-formed, and its lines are replaced by empty
//! lines so the parser skips them (line numbers everywhere else are kept;
//! the CRD object keeps its metadata and gets `spec: null`). Whatever the
//! recogniser does not fully understand (multi-line quoted or plain scalars,
//! anchors, tags, complex keys, odd indentation…) is left to the real parser,
//! which builds it or reports the error with its position.

use crate::yaml::parse_yaml;

/// True when a line holds only characters YAML allows in a document (tabs
/// and a final carriage return included; a carriage return elsewhere is a
/// line break, a byte order mark is allowed only before a document).
fn printable(line: &str) -> bool {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let b = line.as_bytes();
    if b.iter().all(|&c| c == b'\t' || (0x20..0x7F).contains(&c)) {
        return true;
    }
    if b.iter().any(|&c| c < 0x20 && c != b'\t' || c == 0x7F) {
        return false;
    }
    line.chars().all(|c| {
        // NEL and the Unicode line and paragraph separators are line breaks
        // to some YAML readers: leave such lines to the parser.
        matches!(c, '\t' | '\u{20}'..='\u{7E}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
            && !matches!(c, '\u{FEFF}' | '\u{2028}' | '\u{2029}')
    })
}

/// What `kind:` line marks a CustomResourceDefinition document.
fn is_crd_kind_line(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("kind:") else {
        return false;
    };
    let v = rest.split(" #").next().unwrap_or("").trim();
    matches!(
        v,
        "CustomResourceDefinition" | "\"CustomResourceDefinition\"" | "'CustomResourceDefinition'"
    )
}

fn is_doc_marker(line: &str) -> bool {
    (line.starts_with("---") || line.starts_with("..."))
        && line[3..]
            .chars()
            .next()
            .is_none_or(|c| c == ' ' || c == '\t' || c == '\r')
}

/// The text with the bodies of well-formed CRD `spec` blocks blanked out,
/// and the (1-based) lines of the `spec:` keys whose bodies were blanked.
#[derive(Debug)]
pub struct Skimmed {
    /// The text to parse.
    pub text: String,
    /// Lines of the blanked `spec:` keys.
    pub spec_lines: Vec<u32>,
}

impl Skimmed {
    /// True when the parsed documents show every blanked `spec:` as a
    /// top-level key with a null value of a CustomResourceDefinition, i.e. the blanking meant what it was
    /// meant to (a `spec:` inside a multi-line scalar, or followed by a
    /// sequence, would not).
    pub fn confirmed_by(&self, documents: &[(u32, kaegis_core::Node)]) -> bool {
        self.spec_lines.iter().all(|&line| {
            documents.iter().any(|(_, root)| {
                let crd = root.get("kind").and_then(kaegis_core::Node::as_str)
                    == Some("CustomResourceDefinition");
                crd && root
                    .entries()
                    .iter()
                    .any(|e| &*e.key == "spec" && e.key_pos.line == line && e.value.is_null())
            })
        })
    }
}

/// Blanks the bodies of well-formed CRD `spec` blocks; `None` when there is
/// nothing to skip.
pub fn blank_crd_specs(text: &str) -> Option<Skimmed> {
    if !text.contains("CustomResourceDefinition") {
        return None;
    }
    let lines: Vec<&str> = text.split('\n').collect();
    // Document ranges [start, end).
    let mut docs = Vec::new();
    let mut start = 0;
    for (i, l) in lines.iter().enumerate() {
        if is_doc_marker(l) {
            docs.push((start, i));
            start = i + 1;
        }
    }
    docs.push((start, lines.len()));
    let mut blank = vec![false; lines.len()];
    let mut spec_lines = Vec::new();
    for (s, e) in docs {
        // The last top-level `kind:` wins, as it does for the decoder.
        let kind = lines[s..e].iter().rev().find(|l| l.starts_with("kind:"));
        if !kind.is_some_and(|l| is_crd_kind_line(l.trim_end_matches('\r'))) {
            continue;
        }
        let mut i = s;
        while i < e {
            let l = lines[i].trim_end_matches('\r');
            let is_spec = l.strip_prefix("spec:").is_some_and(|r| {
                let r = r.trim();
                r.is_empty() || r.starts_with('#')
            });
            if !is_spec {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            while j < e {
                let lj = lines[j].trim_end_matches('\r');
                let starts_top = lj
                    .chars()
                    .next()
                    .is_some_and(|c| c != ' ' && c != '#' && c != '\t');
                if starts_top {
                    break;
                }
                j += 1;
            }
            if j > i + 1 && is_simple_block(&lines[i..j]) {
                for b in &mut blank[i + 1..j] {
                    *b = true;
                }
                spec_lines.push(i as u32 + 1);
            }
            i = j;
        }
    }
    if spec_lines.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len() / 4);
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if !blank[i] {
            out.push_str(l);
        }
    }
    Some(Skimmed {
        text: out,
        spec_lines,
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Map,
    Seq,
}

/// What the previous line left open.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    /// Nothing: the next line must continue an existing block.
    Nothing,
    /// `key:` with no value: children may follow (a nested block, or a
    /// sequence at the key's own column).
    Value(usize),
}

fn indent(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let n = b.iter().position(|&c| c != b' ').unwrap_or(b.len());
    // Tabs may not indent YAML.
    (b.get(n) != Some(&b'\t')).then_some(n)
}

/// Strips a trailing comment (` #…`) from a value; `None` if the value has
/// anything the simple subset does not allow.
fn simple_value(v: &str) -> Option<()> {
    let v = v.trim_end_matches([' ', '\r']);
    if v.is_empty() || v.starts_with('#') {
        return Some(());
    }
    let first = v.as_bytes()[0];
    match first {
        b'"' | b'\'' => matches!(quoted_state(v, first), Quoted::Closed).then_some(()),
        b'[' | b'{' => {
            // A one-line flow collection: let the real parser judge it.
            let s = parse_yaml(&format!("x: {v}\n"));
            (s.error.is_none() && !s.complex_keys).then_some(())
        }
        b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' | b',' | b']' | b'}' | b'?' => None,
        b'-' | b':' if v.len() == 1 || v.as_bytes()[1] == b' ' => None,
        _ => {
            // One pass: the body ends at a comment (` #`); it may hold no
            // `: `, no tab, and may not end with `:`.
            let b = v.as_bytes();
            let mut end = b.len();
            for (i, &c) in b.iter().enumerate() {
                match c {
                    b'#' if i > 0 && b[i - 1] == b' ' => {
                        end = i - 1;
                        break;
                    }
                    b':' if b.get(i + 1) == Some(&b' ') => return None,
                    b'\t' => return None,
                    _ => {}
                }
            }
            let body = v[..end].trim_end_matches(' ');
            (!body.ends_with(':')).then_some(())
        }
    }
}

/// True for a line of nothing but whitespace.
fn is_blank(l: &str) -> bool {
    l.bytes().all(|c| matches!(c, b' ' | b'\t' | b'\r'))
}

/// The byte offset of the first `: ` in a line.
fn find_colon_space(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr(b':', &b[from..]) {
        let at = from + i;
        if b.get(at + 1) == Some(&b' ') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// How many hex digits follow a double-quoted escape character (`None` for
/// an invalid escape).
fn hex_digits(esc: u8) -> Option<usize> {
    match esc {
        b'x' => Some(2),
        b'u' => Some(4),
        b'U' => Some(8),
        _ if b"0abtnvfre \"/\\N_LP\t".contains(&esc) => Some(0),
        _ => None,
    }
}

fn trailing_comment_only(rest: &str) -> Option<()> {
    let r = rest.trim_start_matches(' ');
    (r.is_empty() || r.starts_with('#') || r == "\r").then_some(())
}

/// A block scalar header (`|`, `>-`, `|2+`…), possibly with a comment.
fn block_scalar_header(v: &str) -> bool {
    if !matches!(v.as_bytes().first(), Some(b'|' | b'>')) {
        return false;
    }
    let v = v
        .split(" #")
        .next()
        .unwrap_or("")
        .trim_end_matches([' ', '\r']);
    // `|` or `>`, optionally followed by one chomping indicator; explicit
    // indentation indicators are left to the parser.
    matches!(v, "|" | ">" | "|-" | ">-" | "|+" | ">+")
}

/// Splits `key: value` / `key:` into the key's length and the value; `None`
/// when the line has no simple key.
fn split_key(content: &str) -> Option<(usize, &str)> {
    let b = content.as_bytes();
    let end = match b.first()? {
        b'"' | b'\'' => {
            let q = b[0];
            let close = content[1..].find(q as char)? + 1;
            if q == b'"' && content[1..close].contains('\\') {
                return None;
            }
            close + 1
        }
        b'-' | b'?' | b':' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'[' | b']' | b'{'
        | b'}' | b',' | b'%' | b'@' | b'`' => return None,
        _ => find_colon_space(content)
            .or_else(|| content.strip_suffix(':').map(|s| s.len()))
            .or_else(|| {
                content
                    .trim_end_matches('\r')
                    .strip_suffix(':')
                    .map(|s| s.len())
            })?,
    };
    let key = &content[..end];
    // Implicit keys are limited to 1024 characters.
    if key.len() > 1024 || key.contains(" #") || key.contains('\t') {
        return None;
    }
    let rest = &content[end..];
    let rest = rest.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with(' ') || rest == "\r") {
        return None;
    }
    Some((end, rest.trim_start_matches(' ')))
}

/// True when every line of `block` (a top-level `key:` line and its body) is
/// in the simple block-YAML subset and the indentation is consistent.
pub fn is_simple_block(block: &[&str]) -> bool {
    first_unrecognised(block).is_none()
}

/// The 1-based index in `block` of the first line the recogniser does not
/// accept, if any.
pub fn first_unrecognised(block: &[&str]) -> Option<usize> {
    if let Some(bad) = block.iter().position(|l| !printable(l)) {
        return Some(bad + 1);
    }
    let mut stack: Vec<(usize, Kind)> = Vec::new();
    let mut open = Open::Nothing;
    let mut i = 0;
    while i < block.len() {
        let line = block[i].trim_end_matches('\r');
        i += 1;
        let Some(ind) = indent(line) else {
            return Some(i);
        };
        let content = &line[ind..];
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        // Sequence dashes, then a key or a value.
        let mut col = ind;
        let mut rest = content;
        let mut tokens: Vec<(usize, Kind)> = Vec::new();
        while rest == "-" || rest.starts_with("- ") {
            tokens.push((col, Kind::Seq));
            if rest == "-" {
                rest = "";
                break;
            }
            let after = rest[1..].trim_start_matches(' ');
            col += rest.len() - after.len();
            rest = after;
        }
        let key = if rest.is_empty() {
            None
        } else {
            split_key(rest)
        };
        // A bare scalar line is the value of the `key:` just above it, when
        // indented past that key (anything else is a mistake).
        let scalar_for = match open {
            Open::Value(kc) if key.is_none() && tokens.is_empty() && ind > kc => Some(kc),
            _ => None,
        };
        if key.is_some() {
            tokens.push((col, Kind::Map));
        } else if tokens.is_empty() && scalar_for.is_none() {
            return Some(i);
        }
        if let Some(kc) = scalar_for {
            open = Open::Nothing;
            if let Some(bad) = check_value(block, &mut i, content, kc) {
                return Some(bad);
            }
            continue;
        }
        // Fit the first token into the stack.
        let (c0, k0) = tokens[0];
        while stack.last().is_some_and(|&(c, _)| c > c0) {
            stack.pop();
        }
        match stack.last().copied() {
            Some((c, k)) if c == c0 => {
                if k != k0 {
                    // `key:` followed by a sequence at the key's column.
                    if k == Kind::Map && k0 == Kind::Seq && open == Open::Value(c0) {
                        stack.push((c0, Kind::Seq));
                    } else if k == Kind::Seq && k0 == Kind::Map {
                        stack.pop();
                        if stack.last() != Some(&(c0, Kind::Map)) {
                            return Some(i);
                        }
                    } else {
                        return Some(i);
                    }
                }
            }
            Some((c, _)) if c < c0 => match open {
                Open::Value(kc) if kc < c0 => stack.push(tokens[0]),
                _ => return Some(i),
            },
            None if i == 1 => stack.push(tokens[0]),
            _ => return Some(i),
        }
        for t in &tokens[1..] {
            stack.push(*t);
        }
        open = Open::Nothing;
        let value = match key {
            Some((_, v)) => v,
            None => rest,
        };
        let owner_col = tokens.last().map_or(col, |t| t.0);
        if value.is_empty() || value.starts_with('#') {
            if key.is_some() || rest.is_empty() {
                open = Open::Value(owner_col);
            }
            continue;
        }
        if let Some(bad) = check_value(block, &mut i, value, owner_col) {
            return Some(bad);
        }
    }
    None
}

/// Checks a non-empty value owned by the node at column `owner_col`, and the
/// lines it continues over; advances `*i` past them. Returns the 1-based
/// index of a line it does not accept.
fn check_value(block: &[&str], i: &mut usize, value: &str, owner_col: usize) -> Option<usize> {
    if block_scalar_header(value) {
        // Content: lines indented past the owner; the first non-blank line
        // fixes the indentation the others may not go below.
        let mut content_indent = None;
        let mut leading_blank = 0;
        while *i < block.len() {
            let l = block[*i].trim_end_matches('\r');
            if is_blank(l) {
                if content_indent.is_none() {
                    if l.contains('\t') {
                        return Some(*i + 1);
                    }
                    leading_blank = leading_blank.max(l.len());
                }
                *i += 1;
                continue;
            }
            let Some(li) = indent(l) else {
                return Some(*i + 1);
            };
            if li <= owner_col {
                break;
            }
            match content_indent {
                // Leading blank lines may not be longer than the first line's
                // indentation.
                None if leading_blank > li => return Some(*i + 1),
                None => content_indent = Some(li),
                Some(ci) if li < ci => return Some(*i + 1),
                Some(_) => {}
            }
            *i += 1;
        }
        return None;
    }
    if simple_value(value).is_some() {
        // After a quoted or flow value, or a comment, nothing may continue
        // the scalar: a deeper next line is left to the main loop, which
        // refuses it.
        if matches!(value.as_bytes()[0], b'"' | b'\'' | b'[' | b'{') || value.contains(" #") {
            return None;
        }
        // A plain scalar may go on over lines indented past its owner.
        while let Some(next) = continuation(block, *i, owner_col) {
            let t = block[next].trim_end_matches('\r').trim_start_matches(' ');
            let plain_ok = !(t.starts_with('#')
                || t.starts_with("- ")
                || t == "-"
                || t.starts_with("? ")
                || t.starts_with(": ")
                || t.contains(": ")
                || t.ends_with(':')
                || t.contains(" #")
                || t.contains('\t'));
            if !plain_ok {
                return Some(next + 1);
            }
            *i = next + 1;
        }
        return None;
    }
    // A quoted scalar that goes on over the next lines.
    let quote = value.as_bytes()[0];
    if quote != b'"' && quote != b'\'' {
        return Some(*i);
    }
    let mut text = String::from(value);
    loop {
        let Some(next) = continuation(block, *i, owner_col) else {
            return Some(*i);
        };
        text.push(' ');
        text.push_str(block[next].trim_end_matches('\r').trim_start_matches(' '));
        *i = next + 1;
        match quoted_state(&text, quote) {
            Quoted::Closed => return None,
            Quoted::Open => {}
            Quoted::Bad => return Some(*i),
        }
    }
}

/// The index of the next non-blank line when it is indented past `owner`
/// (blank lines before it are part of the scalar).
fn continuation(block: &[&str], from: usize, owner: usize) -> Option<usize> {
    let mut j = from;
    while j < block.len() {
        let l = block[j].trim_end_matches('\r');
        if is_blank(l) {
            j += 1;
            continue;
        }
        let ind = indent(l)?;
        return (ind > owner).then_some(j);
    }
    None
}

enum Quoted {
    Open,
    Closed,
    Bad,
}

/// Scans a quoted scalar (joined over its lines) for its closing quote.
fn quoted_state(v: &str, quote: u8) -> Quoted {
    let b = v.as_bytes();
    let mut i = 1;
    while i < b.len() {
        if quote == b'"' && b[i] == b'\\' {
            match b.get(i + 1) {
                None => return Quoted::Open,
                Some(&e) => match hex_digits(e) {
                    Some(n)
                        if b.get(i + 2..i + 2 + n)
                            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) =>
                    {
                        i += 2 + n
                    }
                    _ => return Quoted::Bad,
                },
            }
            continue;
        }
        if b[i] == quote {
            if quote == b'\'' && b.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return match trailing_comment_only(&v[i + 1..]) {
                Some(()) => Quoted::Closed,
                None => Quoted::Bad,
            };
        }
        i += 1;
    }
    Quoted::Open
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simple(text: &str) -> bool {
        let lines: Vec<&str> = text.lines().collect();
        is_simple_block(&lines)
    }

    #[test]
    fn accepts_schema_like_yaml() {
        assert!(simple(
            "spec:\n  group: a.b\n  names:\n    kind: X\n    shortNames:\n    - x\n  versions:\n  - name: v1\n    served: true\n    schema:\n      openAPIV3Schema:\n        description: |-\n          Some text: with colon.\n\n          More.\n        properties:\n          a:\n            enum: [\"a\", 'b']\n            type: string # comment\n        required:\n        - a\n        x-kubernetes-validations:\n        - message: \"must be \\\"ok\\\"\"\n          rule: self.a == 'x'\n"
        ));
    }

    #[test]
    fn rejects_what_it_does_not_understand_or_what_is_broken() {
        for bad in [
            "spec:\n  a: b: c\n",
            "spec:\n  a: \"unterminated\n",
            "spec:\n  a: \"starts\n  too: far left\"\n",
            "spec:\n  a: plain\n    b: 1\n",
            "spec:\n  a: &anchor x\n",
            "spec:\n  a:\n    b: 1\n   c: 2\n",
            "spec:\n  a: 1\n    b: 2\n",
            "spec:\n\ta: 1\n",
            "spec:\n  a: [1, 2\n",
            "spec:\n  a: |\n      x\n    y\n",
            "spec:\n  - a\n  b: 1\n",
            "spec:\n  a: 1\n  plain\n",
            "spec:\n  a: \"bad \\q escape\"\n",
            "spec:\n  a: x\u{feff}y\n",
            "spec:\n  a: x\u{1}y\n",
            "spec:\n  a: x\ry\n",
            "spec:\n  a: x # comment\n    y\n",
            "spec:\n  a: \"\\xZZ\"\n",
            "spec:\n  a: |+-\n    x\n",
            "spec:\n  a: |\n        \n    text\n",
        ] {
            assert!(!simple(bad), "accepted: {bad:?}");
            // Everything it rejects, and that YAML rejects too, the real
            // parser reports.
        }
    }

    #[test]
    fn agrees_with_the_parser_on_what_it_accepts() {
        for good in [
            "spec:\n  a:\n  - b: 1\n    c: 2\n  - - x\n    - y\n  d: ~\n",
            "spec:\n  a:\n  - 1\n  b: 2\n",
            "spec:\n  \"quoted key\": 'it''s'\n  k: -1\n  u: http://x/y#z\n",
            "spec:\n  d: a plain\n    scalar, over\n\n    lines\n  e: \"quoted \\\"x\\\"\n    over lines\"\n  f: 'single\n    ''quoted'''\n",
        ] {
            assert!(simple(good), "rejected: {good:?}");
            assert!(parse_yaml(good).error.is_none(), "{good:?}");
        }
    }

    #[test]
    fn blanks_only_crd_specs_and_keeps_lines() {
        let text = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: xs.a.b\nspec:\n  group: a.b\n  scope: Namespaced\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostPID: true\n";
        let skimmed = blank_crd_specs(text).unwrap();
        assert_eq!(skimmed.spec_lines, [5]);
        let out = skimmed.text;
        assert_eq!(out.lines().count(), text.lines().count());
        assert!(!out.contains("group: a.b"));
        assert!(out.contains("hostPID: true"));
        let broken = text.replace("scope: Namespaced", "scope: [Namespaced");
        assert!(blank_crd_specs(&broken).is_none());
    }
}
