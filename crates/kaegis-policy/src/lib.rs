//! kaegis-policy: what a team decides about the catalog, read from
//! `.kaegis.yaml` — which checks run, at which severity, with which
//! parameters, which objects are exempt and why — and the custom rules it
//! writes in CEL.
//!
//! Depends on kaegis-core (the model) and kaegis-inputs (the YAML reader,
//! for positions in errors); never on checks, reporters or servers.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod detect;

pub use config::{AdmissionSpec, CONFIG_FILE_NAMES, Config, ConfigError, Level, Mode, parse_level};
pub mod rules;

pub use detect::{DetectRuleSpec, DetectSpec, EventMatch, ThresholdSpec, parse_duration};
/// The CEL implementation kaegis compiles rules with (kube-cel's), for
/// crates that evaluate programs compiled here.
pub use kube_cel::cel;
