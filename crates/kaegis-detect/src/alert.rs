//! Alerts: what a rule's hit becomes once it passed deduplication and the
//! rate limit. One alert is one JSON object (one line in a JSON-lines
//! sink); its shape is versioned by `apiVersion` and documented in
//! docs/detect.md.

use kaegis_core::Severity;
use serde::Serialize;

use crate::event::{Event, format_rfc3339_micros};
use crate::rule::{Hit, RuleMeta};

/// The alert schema's version.
pub const API_VERSION: &str = "kaegis.dev/v1alpha1";

/// The object a request was about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// API group (empty: core).
    pub api_group: String,
    /// Resource.
    pub resource: String,
    /// Subresource.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subresource: String,
    /// Namespace.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// [`API_VERSION`].
    pub api_version: &'static str,
    /// `Alert`.
    pub kind: &'static str,
    /// The rule's code and the request's audit ID: stable, so a sink can
    /// drop a repeat after a restart.
    pub id: String,
    /// The event's time (RFC 3339, UTC, microseconds).
    pub time: String,
    /// The rule's code.
    pub code: String,
    /// The rule's slug.
    pub rule: String,
    /// The rule's title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// MITRE ATT&CK tactic.
    pub tactic: String,
    /// MITRE ATT&CK techniques, `T1609 Container Administration Command`.
    pub mitre: Vec<String>,
    /// What happened.
    pub message: String,
    /// Who: the authenticated user.
    pub user: String,
    /// Their groups.
    pub groups: Vec<String>,
    /// Whom they impersonated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonated_user: Option<String>,
    /// From where.
    #[serde(rename = "sourceIPs")]
    pub source_ips: Vec<String>,
    /// With what client.
    pub user_agent: String,
    /// The verb.
    pub verb: String,
    /// The request URI.
    #[serde(rename = "requestURI")]
    pub request_uri: String,
    /// The response code (0 when the event has none).
    pub response_code: u16,
    /// The object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<Target>,
    /// The request's audit ID.
    #[serde(rename = "auditID")]
    pub audit_id: String,
    /// The stage the event was logged at.
    pub stage: String,
    /// Alerts with the same rule, subject and target suppressed since the
    /// previous one (deduplication and rate limit).
    #[serde(skip_serializing_if = "is_zero")]
    pub suppressed: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Alert {
    /// Builds the alert for a rule's hit on an event.
    pub fn new(meta: &RuleMeta, hit: Hit, ev: &Event<'_>, time: i64, suppressed: u64) -> Self {
        Self {
            api_version: API_VERSION,
            kind: "Alert",
            id: format!("{}/{}", meta.code, ev.audit_id),
            time: format_rfc3339_micros(time),
            code: meta.code.to_owned(),
            rule: meta.slug.to_owned(),
            title: meta.title.to_owned(),
            severity: hit.severity.unwrap_or(meta.severity),
            tactic: meta.tactic.to_owned(),
            mitre: meta
                .mitre
                .iter()
                .map(|t| format!("{} {}", t.id, t.name))
                .collect(),
            message: hit.message,
            user: ev.user.username.to_string(),
            groups: ev.user.groups.iter().map(|g| g.to_string()).collect(),
            impersonated_user: ev
                .impersonated_user
                .as_ref()
                .map(|u| u.username.to_string()),
            source_ips: ev.source_ips.iter().map(|s| s.to_string()).collect(),
            user_agent: ev.user_agent.to_string(),
            verb: ev.verb.to_string(),
            request_uri: ev.request_uri.to_string(),
            response_code: ev.code(),
            object: ev.object_ref.as_ref().map(|o| Target {
                api_group: o.api_group.to_string(),
                resource: o.resource.to_string(),
                subresource: o.subresource.to_string(),
                namespace: o.namespace.to_string(),
                name: o.name.to_string(),
            }),
            audit_id: ev.audit_id.to_string(),
            stage: ev.stage.to_string(),
            suppressed,
        }
    }

    /// The alert as one JSON line (no newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
