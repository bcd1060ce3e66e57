//! A small JSON parser that records the line and column of every value and
//! key, producing the same [`Node`] tree as the YAML parser.

use kaegis_core::{Entry, Node, Pos, Value};

use crate::ParseError;
use crate::yaml::MAX_DEPTH;

struct Cursor<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    line: u32,
    col: u32,
}

impl<'a> Cursor<'a> {
    fn pos(&self) -> Pos {
        Pos::new(self.line, self.col)
    }

    fn err<T>(&self, msg: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            pos: self.pos(),
            message: msg.into(),
        })
    }

    fn bump(&mut self) {
        if let Some(&c) = self.s.get(self.i) {
            self.i += 1;
            if c == b'\n' {
                self.line += 1;
                self.col = 1;
            } else if c & 0xC0 != 0x80 {
                self.col += 1;
            }
        }
    }

    fn ws(&mut self) {
        while let Some(&c) = self.s.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.bump();
            } else {
                break;
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), ParseError> {
        if self.peek() == Some(c) {
            self.bump();
            Ok(())
        } else {
            self.err(format!("expected `{}`", c as char))
        }
    }

    fn string(&mut self) -> Result<String, ParseError> {
        self.expect(b'"')?;
        let mut out = String::new();
        loop {
            let start = self.i;
            while let Some(&c) = self.s.get(self.i) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.bump();
            }
            out.push_str(&self.text[start..self.i]);
            match self.peek() {
                Some(b'"') => {
                    self.bump();
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.bump();
                    let c = match self.peek() {
                        Some(c) => c,
                        None => return self.err("unterminated string"),
                    };
                    self.bump();
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let ch = if (0xD800..0xDC00).contains(&hi) {
                                if self.peek() == Some(b'\\') {
                                    self.bump();
                                    self.expect(b'u')?;
                                    let lo = self.hex4()?;
                                    if !(0xDC00..0xE000).contains(&lo) {
                                        return self.err("invalid surrogate pair");
                                    }
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                } else {
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            out.push(ch.unwrap_or('\u{FFFD}'));
                        }
                        _ => return self.err("invalid escape in string"),
                    }
                }
                Some(_) => return self.err("control character in string"),
                None => return self.err("unterminated string"),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let h = self.s.get(self.i..self.i + 4);
        let v = h
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok());
        match v {
            Some(v) => {
                for _ in 0..4 {
                    self.bump();
                }
                Ok(v)
            }
            None => self.err("invalid \\u escape"),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        if depth > MAX_DEPTH {
            return self.err(format!("nesting deeper than {MAX_DEPTH} levels"));
        }
        self.ws();
        let pos = self.pos();
        match self.peek() {
            Some(b'{') => {
                self.bump();
                let mut entries = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.bump();
                    return Ok(Node::new(pos, Value::Map(entries)));
                }
                loop {
                    self.ws();
                    let key_pos = self.pos();
                    if self.peek() != Some(b'"') {
                        return self.err("expected a string key");
                    }
                    let key = self.string()?;
                    self.ws();
                    self.expect(b':')?;
                    let value = self.value(depth + 1)?;
                    entries.push(Entry {
                        key: key.into(),
                        key_pos,
                        value,
                    });
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.bump(),
                        Some(b'}') => {
                            self.bump();
                            return Ok(Node::new(pos, Value::Map(entries)));
                        }
                        _ => return self.err("expected `,` or `}`"),
                    }
                }
            }
            Some(b'[') => {
                self.bump();
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.bump();
                    return Ok(Node::new(pos, Value::Seq(items)));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.bump(),
                        Some(b']') => {
                            self.bump();
                            return Ok(Node::new(pos, Value::Seq(items)));
                        }
                        _ => return self.err("expected `,` or `]`"),
                    }
                }
            }
            Some(b'"') => {
                let s = self.string()?;
                Ok(Node::quoted_scalar(pos, &s))
            }
            Some(c) if c == b'-' || c.is_ascii_alphanumeric() => {
                let start = self.i;
                while let Some(c) = self.peek() {
                    if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.') {
                        self.bump();
                    } else {
                        break;
                    }
                }
                let word = &self.text[start..self.i];
                match word {
                    "true" | "false" => Ok(Node::plain_scalar(pos, word)),
                    "null" => Ok(Node::new(pos, Value::Null)),
                    _ if is_json_number(word) => Ok(Node::plain_scalar(pos, word)),
                    _ => Err(ParseError {
                        pos,
                        message: format!("invalid JSON value `{word}`"),
                    }),
                }
            }
            Some(_) => self.err("expected a JSON value"),
            None => self.err("unexpected end of input"),
        }
    }
}

fn is_json_number(w: &str) -> bool {
    let b = w.as_bytes();
    let mut i = 0;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == int_start || (b[int_start] == b'0' && i - int_start > 1) {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let s = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == s {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let s = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == s {
            return false;
        }
    }
    i == b.len()
}

impl<'a> Cursor<'a> {
    fn start(text: &'a str) -> Self {
        Cursor {
            s: text.as_bytes(),
            text,
            i: 0,
            line: 1,
            col: 1,
        }
    }
}

/// Parses one JSON document (a value followed only by whitespace).
pub fn parse_json(text: &str) -> Result<Node, ParseError> {
    let mut c = Cursor::start(text);
    let node = c.value(0)?;
    c.ws();
    if c.i != c.s.len() {
        return c.err("unexpected text after the JSON value");
    }
    Ok(node)
}

/// Parses a stream of JSON values separated by whitespace: one document, or
/// JSON lines (one value per line, as ABAC policy files and log-shaped
/// dumps are written). Values before an error are returned with it.
pub fn parse_json_stream(text: &str) -> (Vec<(u32, Node)>, Option<ParseError>) {
    let mut c = Cursor::start(text);
    let mut docs = Vec::new();
    loop {
        c.ws();
        if c.i == c.s.len() {
            return (docs, None);
        }
        match c.value(0) {
            Ok(node) => docs.push((docs.len() as u32, node)),
            Err(e) => return (docs, Some(e)),
        }
    }
}

/// An object from a JSON value an API client decoded (a watch cache, a list
/// response): written back to text and read by [`parse_json`], so it gets
/// the same tree (and typing of scalars) as a manifest. `None` when it has no
/// `apiVersion` and `kind`.
pub fn object_from_value(
    v: &serde_json::Value,
    origin: kaegis_core::Origin,
) -> Option<kaegis_core::Object> {
    let text = serde_json::to_string(v).ok()?;
    let root = parse_json(&text).ok()?;
    kaegis_core::Object::from_root(root, origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines() {
        let (docs, err) = parse_json_stream("{\"a\": 1}\n{\"a\": 2}\n\n[3]\n");
        assert!(err.is_none());
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[1].1.pos, Pos::new(2, 1));
        let (docs, err) = parse_json_stream("{\"a\": 1}\n{\"a\": }\n");
        assert_eq!(docs.len(), 1);
        assert_eq!(err.unwrap().pos.line, 2);
    }

    #[test]
    fn parses_with_positions() {
        let n = parse_json("{\n  \"a\": [1, true, null, \"x\\u00e9\"],\n  \"b\": {}\n}").unwrap();
        let a = n.entry("a").unwrap();
        assert_eq!(a.key_pos, Pos::new(2, 3));
        assert_eq!(a.value.items()[1].as_bool(), Some(true));
        assert!(a.value.items()[2].is_null());
        assert_eq!(a.value.items()[3].as_str(), Some("xé"));
        assert_eq!(a.value.items()[3].pos, Pos::new(2, 24));
    }

    #[test]
    fn errors() {
        for bad in ["{", "[1,]", "{\"a\" 1}", "01", "tru", "\"abc", "{} x", "-"] {
            assert!(parse_json(bad).is_err(), "{bad}");
        }
        assert!(parse_json(&"[".repeat(10_000)).is_err());
    }
}
