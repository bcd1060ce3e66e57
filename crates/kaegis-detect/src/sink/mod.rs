//! Where alerts go besides standard output: a JSON-lines file
//! ([`file`]) and an HTTP webhook with retries and a dead-letter file
//! ([`webhook`], optionally in Slack's incoming-webhook format).
//!
//! Each implements [`crate::Sink`]; the pipeline gives every alert to every
//! sink.

pub mod file;
mod slack;
pub mod webhook;

pub use file::{FileSink, append_file};
pub use slack::slack_body;
pub use webhook::{BodyFormat, DeliveryMetrics, WebhookOptions, WebhookSink};
