//! Slack's incoming-webhook body for an alert: a `text` fallback (what
//! notifications show) and Block Kit `blocks` with the facts a responder
//! needs first.

use serde_json::{Value, json};

use crate::alert::Alert;

/// Escapes what Slack's mrkdwn treats as control characters.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn object(alert: &Alert) -> String {
    let Some(o) = &alert.object else {
        return alert.request_uri.clone();
    };
    let mut out = o.resource.clone();
    if !o.subresource.is_empty() {
        out.push('/');
        out.push_str(&o.subresource);
    }
    if !o.namespace.is_empty() {
        out.push(' ');
        out.push_str(&o.namespace);
        out.push('/');
    } else {
        out.push(' ');
    }
    out.push_str(&o.name);
    out.trim_end().to_owned()
}

/// The Slack body for `alert`.
pub fn slack_body(alert: &Alert) -> Value {
    let severity = alert.severity.as_str().to_uppercase();
    let text = format!(
        "[{severity}] {} {}: {} (user {})",
        alert.code, alert.rule, alert.message, alert.user
    );
    let field = |name: &str, value: &str| json!({ "type": "mrkdwn", "text": format!("*{name}*\n{}", escape(value)) });
    let source = alert.source_ips.join(", ");
    json!({
        "text": escape(&text),
        "blocks": [
            {
                "type": "header",
                "text": { "type": "plain_text", "text": format!("{severity}: {}", alert.title) }
            },
            {
                "type": "section",
                "text": { "type": "mrkdwn", "text": escape(&alert.message) }
            },
            {
                "type": "section",
                "fields": [
                    field("Severity", alert.severity.as_str()),
                    field("Rule", &format!("{} {}", alert.code, alert.rule)),
                    field("User", &alert.user),
                    field("Object", &object(alert)),
                    field("Source", &source),
                    field("Time", &alert.time),
                ]
            },
            {
                "type": "context",
                "elements": [
                    { "type": "mrkdwn", "text": escape(&format!("{} · auditID {}", alert.mitre.join(", "), alert.audit_id)) }
                ]
            }
        ]
    })
}
