//! kaegis-detect: threat detection from Kubernetes audit events.
//!
//! - [`event`]: the audit event decoder (v1, v1beta1, EventList);
//! - [`rule`]: what a detection rule is; [`rules`]: the built-in ones;
//!   [`catalog`]: their documentation as Markdown;
//! - [`engine`]: the detector (each request judged once, deduplication,
//!   rate limits); [`state`]: what it remembers across events and restarts;
//! - [`alert`]: the alert schema; [`settings`]: its parameters;
//! - [`identity`]: control-plane and service-account identities.
//!
//! This crate must not depend on the CLI, servers or sinks: it turns events
//! into alerts and knows nothing of where events come from.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod alert;
pub mod catalog;
pub mod engine;
pub mod event;
pub mod identity;
pub mod input;
pub mod pipeline;
pub mod rule;
pub mod rules;
pub mod runner;
pub mod settings;
pub mod state;
pub mod store;

pub use alert::Alert;
pub use catalog::rules_markdown;
pub use engine::{Detector, Stats};
pub use event::{DecodeError, Event};
pub use pipeline::{JsonLines, Pipeline, PipelineError, Sink};
pub use rule::{Hit, Level, Need, Rule, RuleContext, RuleMeta, Technique};
pub use settings::Settings;
pub use state::State;
