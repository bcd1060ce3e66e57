//! The source-mapped object tree.
//!
//! Every parser (YAML, JSON, later the API server and AdmissionReview) produces
//! [`Node`]s: a small, owned tree in which every value, and every mapping key,
//! remembers the line and column it came from. The tree *is* the map from JSON
//! path to position: [`Node::locate`] walks a [`JsonPath`] to the deepest node
//! that exists and returns its position.
//!
//! Scalars are kept as text with a flag saying whether they were plain
//! (unquoted) in the source. Typed accessors resolve them lazily, the way the
//! Kubernetes YAML decoder does (YAML 1.1 booleans such as `yes`/`on` included),
//! so the parser never pays for type resolution of values no check reads.

use crate::path::{JsonPath, Segment};

/// A position in a source file: 1-based line, 1-based column (in characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column number, counted in characters.
    pub col: u32,
}

impl Pos {
    /// A position from a 1-based line and column.
    pub const fn new(line: u32, col: u32) -> Self {
        Self { line, col }
    }
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// One value of the tree with the position where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Where the value starts in its source.
    pub pos: Pos,
    /// The value itself.
    pub value: Value,
}

/// A mapping entry: the key text, the key's position, and the value.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key as text (non-scalar keys are rendered to text by the parser).
    pub key: Box<str>,
    /// Where the key starts.
    pub key_pos: Pos,
    /// The value.
    pub value: Node,
}

/// The value of a [`Node`].
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`, `~`, or nothing at all.
    Null,
    /// A scalar, kept as text. `plain` is true when it was unquoted in the
    /// source (and so may be a number or a boolean).
    Scalar {
        /// The scalar's text, with escapes resolved.
        text: Box<str>,
        /// Unquoted in the source (YAML plain scalar, or a JSON number/bool).
        plain: bool,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order.
    Map(Vec<Entry>),
}

static EMPTY_NODES: [Node; 0] = [];
static EMPTY_ENTRIES: [Entry; 0] = [];

impl Node {
    /// A node from a value and a position.
    pub fn new(pos: Pos, value: Value) -> Self {
        Self { pos, value }
    }

    /// A plain scalar, as a parser resolves it: `null`, `~` and the empty
    /// plain scalar become [`Value::Null`].
    pub fn plain_scalar(pos: Pos, text: &str) -> Self {
        let value = if is_null_text(text) {
            Value::Null
        } else {
            Value::Scalar {
                text: text.into(),
                plain: true,
            }
        };
        Self { pos, value }
    }

    /// A quoted (or block) scalar: always a string.
    pub fn quoted_scalar(pos: Pos, text: &str) -> Self {
        Self {
            pos,
            value: Value::Scalar {
                text: text.into(),
                plain: false,
            },
        }
    }

    /// The value of `key` when this node is a mapping. When a key appears
    /// twice, the last one wins, as it does for the API server's JSON decoder.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .rev()
                .find(|e| &*e.key == key)
                .map(|e| &e.value),
            _ => None,
        }
    }

    /// The entry for `key` (key position included), last one winning.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().rev().find(|e| &*e.key == key),
            _ => None,
        }
    }

    /// Walks a chain of mapping keys.
    pub fn get_path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The items of a sequence; empty for anything else.
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &EMPTY_NODES,
        }
    }

    /// The entries of a mapping; empty for anything else.
    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &EMPTY_ENTRIES,
        }
    }

    /// True for a mapping.
    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// True for a sequence.
    pub fn is_seq(&self) -> bool {
        matches!(self.value, Value::Seq(_))
    }

    /// True for null.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The text of a scalar (plain or quoted); `None` for null, sequences
    /// and mappings.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// A boolean, resolved the way Kubernetes' YAML decoder resolves plain
    /// scalars (YAML 1.1: `true`/`yes`/`on` and their capitalisations).
    /// Quoted scalars are strings, not booleans.
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar { text, plain: true } => parse_bool(text),
            _ => None,
        }
    }

    /// An integer from a plain scalar (decimal, `0x` hex, `0o` octal, with
    /// an optional sign and `_` separators as YAML 1.1 allows).
    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Scalar { text, plain: true } => parse_int(text),
            _ => None,
        }
    }

    /// The position of the deepest node that exists along `path`, and how
    /// many segments of the path were found. A finding about a missing field
    /// points at its nearest existing parent.
    pub fn locate(&self, path: &JsonPath) -> (Pos, usize) {
        let mut node = self;
        let mut pos = self.pos;
        for (depth, seg) in path.segments().iter().enumerate() {
            let next = match seg {
                // A field is reported at its key: that is where a reader
                // looks for `privileged: true` or `securityContext:`.
                Segment::Key(k) => node.entry(k).map(|e| (&e.value, e.key_pos)),
                Segment::Index(i) => node.items().get(*i as usize).map(|n| (n, n.pos)),
            };
            match next {
                Some((n, p)) => {
                    node = n;
                    pos = p;
                }
                None => return (pos, depth),
            }
        }
        (pos, path.segments().len())
    }

    /// The deepest node that exists along `segs`, and how many segments lead
    /// to it. With `null_is_absent`, a key whose value is null counts as
    /// missing (as it does for the API server's defaulting).
    pub fn deepest(&self, segs: &[Segment], null_is_absent: bool) -> (&Node, usize) {
        let mut node = self;
        for (depth, seg) in segs.iter().enumerate() {
            let next = match (seg, &node.value) {
                (Segment::Key(k), Value::Map(_)) => {
                    node.get(k).filter(|n| !(null_is_absent && n.is_null()))
                }
                (Segment::Index(i), Value::Seq(items)) => items.get(*i as usize),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => return (node, depth),
            }
        }
        (node, segs.len())
    }

    /// Counts the nodes of the tree (for limits and statistics).
    pub fn count(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) => items.iter().map(Node::count).sum(),
            Value::Map(entries) => entries.iter().map(|e| e.value.count()).sum(),
            _ => 0,
        }
    }
}

/// True for the plain scalars YAML resolves to null.
pub fn is_null_text(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
            Some(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            Some(false)
        }
        _ => None,
    }
}

fn parse_int(text: &str) -> Option<i64> {
    let t: String = text.chars().filter(|c| *c != '_').collect();
    let (neg, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, &t[..]),
    };
    let magnitude = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()?
    } else if let Some(oct) = digits
        .strip_prefix('0')
        .filter(|o| !o.is_empty() && o.bytes().all(|b| (b'0'..=b'7').contains(&b)))
    {
        // YAML 1.1 (what kubectl reads): a leading zero means octal, so the
        // `defaultMode: 0644` of a secret volume is 420.
        i64::from_str_radix(oct, 8).ok()?
    } else if let Ok(v) = digits.parse::<i64>() {
        v
    } else {
        // 8080.0 is a valid JSON number for an integer field.
        let f: f64 = digits.parse().ok()?;
        if f.fract() != 0.0 || !f.is_finite() || f.abs() > 9.0e15 {
            return None;
        }
        f as i64
    };
    Some(if neg { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_follow_the_kubernetes_decoder() {
        let n = Node::plain_scalar(Pos::new(1, 1), "yes");
        assert_eq!(n.as_bool(), Some(true));
        let q = Node::quoted_scalar(Pos::new(1, 1), "true");
        assert_eq!(q.as_bool(), None);
        assert_eq!(
            Node::plain_scalar(Pos::new(1, 1), "Off").as_bool(),
            Some(false)
        );
        assert_eq!(Node::plain_scalar(Pos::new(1, 1), "maybe").as_bool(), None);
    }

    #[test]
    fn integers() {
        let i = |s| Node::plain_scalar(Pos::new(1, 1), s).as_i64();
        assert_eq!(i("0"), Some(0));
        assert_eq!(i("-12"), Some(-12));
        assert_eq!(i("0x10"), Some(16));
        assert_eq!(i("1_000"), Some(1000));
        assert_eq!(i("8080.0"), Some(8080));
        assert_eq!(i("0644"), Some(420));
        assert_eq!(i("0400"), Some(256));
        assert_eq!(i("-010"), Some(-8));
        assert_eq!(i("09"), Some(9));
        assert_eq!(i("8080.5"), None);
        assert_eq!(i("abc"), None);
        assert_eq!(Node::quoted_scalar(Pos::new(1, 1), "0").as_i64(), None);
    }

    #[test]
    fn null_forms() {
        for t in ["", "~", "null", "Null", "NULL"] {
            assert!(Node::plain_scalar(Pos::new(1, 1), t).is_null());
        }
        assert!(!Node::quoted_scalar(Pos::new(1, 1), "null").is_null());
    }
}
