//! kaegis-detect: threat detection from Kubernetes audit events.
//!
//! - [`event`]: the audit event decoder (v1, v1beta1, EventList);
//! - [`rule`]: what a detection rule is; [`rules`]: the built-in ones;
//!   [`catalog`]: their documentation as Markdown;
//! - [`engine`]: the detector (each request judged once, deduplication,
//!   rate limits); [`state`]: what it remembers across events and restarts;
//! - [`alert`]: the alert schema; [`settings`]: its parameters;
//! - [`identity`]: control-plane and service-account identities;
//! - [`pipeline`]: lines to alerts to sinks, the same for every input;
//! - [`custom`]: custom rules in CEL; [`config`]: the config file's
//!   `detect:` section (read by kaegis-policy) into settings and rules;
//! - [`explain`]: what an audit Policy lets the rules see, and what it
//!   leaks (`kaegis detect --explain-policy`);
//! - at the edges: [`input`] and [`runner`] (log files, followed, with
//!   checkpoints in the [`store`]), [`sink`] (a file, an HTTP webhook with
//!   retries and a dead-letter file), [`server`] (the API server's audit
//!   webhook backend, on [`kaegis_serve`]) and [`metrics`] (Prometheus).
//!
//! The detection core (event, rule, engine, state) must not depend on the
//! edges, nor this crate on the CLI: the core turns events into alerts and
//! knows nothing of where events come from or where alerts go. It depends
//! on kaegis-policy (the config file and CEL), never the other way round.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod alert;
pub mod catalog;
pub mod config;
pub mod custom;
pub mod engine;
pub mod event;
pub mod explain;
pub mod identity;
pub mod input;
pub mod metrics;
pub mod pipeline;
pub mod rule;
pub mod rules;
pub mod runner;
pub mod server;
pub mod settings;
pub mod sink;
pub mod state;
pub mod store;

pub use alert::Alert;
pub use catalog::rules_markdown;
pub use config::from_config;
pub use custom::CelEventRule;
pub use engine::{Detector, Stats};
pub use event::{DecodeError, Event};
pub use metrics::DetectMetrics;
pub use pipeline::{JsonLines, Pipeline, PipelineError, Sink};
pub use rule::{Hit, Level, Need, Rule, RuleContext, RuleMeta, Technique};
pub use settings::Settings;
pub use state::State;
