//! What a detection rule is: its identity and documentation
//! ([`RuleMeta`]), the events it must see to fire ([`Need`], read by
//! `kaegis detect --explain-policy`), and how it judges an event
//! ([`Rule::evaluate`]).

use kaegis_core::Severity;

use crate::event::Event;
use crate::settings::Settings;
use crate::state::State;

/// An audit level, lowest first (the order matters: a rule that needs
/// `Request` is served by `RequestResponse` too).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Not logged.
    None,
    /// Who, what, when, the response code; no bodies.
    Metadata,
    /// Metadata and the request body.
    Request,
    /// Metadata, request and response bodies.
    RequestResponse,
}

impl Level {
    /// Parses the audit Policy spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "None" => Level::None,
            "Metadata" => Level::Metadata,
            "Request" => Level::Request,
            "RequestResponse" => Level::RequestResponse,
            _ => return None,
        })
    }

    /// The audit Policy spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "None",
            Level::Metadata => "Metadata",
            Level::Request => "Request",
            Level::RequestResponse => "RequestResponse",
        }
    }
}

/// A MITRE ATT&CK technique (the containers matrix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Technique {
    /// `T1609`.
    pub id: &'static str,
    /// `Container Administration Command`.
    pub name: &'static str,
}

/// Events a rule must see, and the audit level they must be logged at,
/// for it to fire.
#[derive(Clone, Copy, Debug)]
pub struct Need {
    /// The API group (`""` for the core group, `"*"` for any).
    pub group: &'static str,
    /// Resources, with their subresource (`pods/exec`); `"*"` for any.
    pub resources: &'static [&'static str],
    /// Verbs; empty for any.
    pub verbs: &'static [&'static str],
    /// The lowest level that carries what the rule reads.
    pub level: Level,
}

/// A rule's identity and documentation.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable code: `KD` and three digits.
    pub code: &'static str,
    /// Stable kebab-case name.
    pub slug: &'static str,
    /// One line: what the alert means.
    pub title: &'static str,
    /// Default severity (a rule may raise it for one alert).
    pub severity: Severity,
    /// The MITRE ATT&CK tactic (`Execution`, `Privilege Escalation`, …).
    pub tactic: &'static str,
    /// The techniques the alert is evidence of.
    pub mitre: &'static [Technique],
    /// Markdown: `## What`, `## Why`, `## How to respond`.
    pub doc: &'static str,
    /// The events the rule reads.
    pub needs: &'static [Need],
}

impl RuleMeta {
    /// The documentation as Markdown.
    pub fn doc_markdown(&self) -> String {
        kaegis_core::check::doc_markdown(self.doc)
    }

    /// One section of the documentation (`What`, `Why`, `How to respond`).
    pub fn doc_section(&self, heading: &str) -> Option<String> {
        kaegis_core::check::doc_section(self.doc, heading)
    }
}

/// What a rule saw in one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// What happened, for a person, naming the subject and the object.
    pub message: String,
    /// Overrides the rule's severity for this hit (e.g. in kube-system).
    pub severity: Option<Severity>,
    /// What makes two hits "the same" for deduplication, beyond the rule
    /// and the subject (usually the target object).
    pub dedup_key: String,
}

impl Hit {
    /// A hit at the rule's severity, deduplicated by `dedup_key`.
    pub fn new(message: impl Into<String>, dedup_key: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            severity: None,
            dedup_key: dedup_key.into(),
        }
    }

    /// The same hit at another severity.
    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = Some(s);
        self
    }
}

/// What a rule may read and remember while it judges an event.
pub struct RuleContext<'a> {
    /// The detector's settings.
    pub settings: &'a Settings,
    /// State that survives restarts (windows, baselines).
    pub state: &'a mut State,
    /// The event's time, microseconds since the epoch.
    pub time: i64,
}

impl RuleContext<'_> {
    /// True while the baseline is still being learned (from the first
    /// event seen, for [`Settings::learning_period_secs`]).
    pub fn learning(&self) -> bool {
        let first = self.state.first_event.unwrap_or(self.time);
        self.time < first + self.settings.learning_period_secs * 1_000_000
    }
}

/// A detection rule.
pub trait Rule: Send + Sync {
    /// Its identity and documentation.
    fn meta(&self) -> &RuleMeta;

    /// Judges one event (never a `RequestReceived` one, and each request
    /// once), pushing what it found.
    fn evaluate(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>);
}

/// Declares a rule type from a doc comment (`## What`, `## Why`,
/// `## How to respond`) and its metadata; the type must have an inherent
/// `fn judge(&self, ev: &Event, cx: &mut RuleContext, out: &mut Vec<Hit>)`.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            $($field:ident : $value:expr),* $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name;

        impl $name {
            /// This rule's identity and documentation.
            pub const META: $crate::rule::RuleMeta = $crate::rule::RuleMeta {
                doc: concat!($($doc, "\n"),*),
                $($field: $value,)*
            };
        }

        impl $crate::rule::Rule for $name {
            fn meta(&self) -> &$crate::rule::RuleMeta {
                static META: $crate::rule::RuleMeta = $name::META;
                &META
            }

            fn evaluate(
                &self,
                ev: &$crate::event::Event<'_>,
                cx: &mut $crate::rule::RuleContext<'_>,
                out: &mut Vec<$crate::rule::Hit>,
            ) {
                self.judge(ev, cx, out)
            }
        }
    };
}

pub(crate) use declare_rule;
