//! kaegis-detect: threat detection from Kubernetes audit events.
//!
//! - [`event`]: the audit event decoder (v1, v1beta1, EventList);
//! - [`rule`]: what a detection rule is; [`rules`]: the built-in ones;
//! - [`engine`]: the detector (each request judged once, deduplication,
//!   rate limits); [`state`]: what it remembers across events and restarts;
//! - [`alert`]: the alert schema; [`settings`]: its parameters;
//! - [`identity`]: control-plane and service-account identities;
//! - [`custom`]: custom rules in CEL; [`config`]: the config file's
//!   `detect:` section (read by kaegis-policy) into settings and rules;
//! - [`explain`]: what an audit Policy lets the rules see, and what it
//!   leaks (`kaegis detect --explain-policy`).
//!
//! This crate must not depend on the CLI, servers or sinks: it turns events
//! into alerts and knows nothing of where events come from. It depends on
//! kaegis-policy (the config file and CEL), never the other way round.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod alert;
pub mod config;
pub mod custom;
pub mod engine;
pub mod event;
pub mod explain;
pub mod identity;
pub mod rule;
pub mod rules;
pub mod settings;
pub mod state;

pub use alert::Alert;
pub use config::from_config;
pub use custom::CelEventRule;
pub use engine::{Detector, Stats};
pub use event::{DecodeError, Event};
pub use rule::{Hit, Level, Need, Rule, RuleContext, RuleMeta, Technique};
pub use settings::Settings;
pub use state::State;
