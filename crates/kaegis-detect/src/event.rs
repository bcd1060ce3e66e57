//! The audit event decoder: one `audit.k8s.io` Event (v1, the older
//! v1beta1, or captured without `apiVersion`) or an `EventList` (what the
//! webhook backend posts, and what some collectors write) per line.
//!
//! Decoding borrows from the line: strings without escapes are not copied,
//! and the request and response objects stay raw JSON until a rule asks for
//! them (most events are Metadata-level reads no rule looks inside).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

/// A Kubernetes audit event. Every field is optional on the wire; what is
/// missing reads as empty.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event<'a> {
    /// `audit.k8s.io/v1`, `audit.k8s.io/v1beta1`, or empty.
    #[serde(borrow, default)]
    pub api_version: Cow<'a, str>,
    /// `Event`, `EventList`, or empty.
    #[serde(borrow, default)]
    pub kind: Cow<'a, str>,
    /// `None`, `Metadata`, `Request` or `RequestResponse`.
    #[serde(borrow, default)]
    pub level: Cow<'a, str>,
    /// The request's unique id (shared by its stages).
    #[serde(rename = "auditID", borrow, default)]
    pub audit_id: Cow<'a, str>,
    /// `RequestReceived`, `ResponseStarted`, `ResponseComplete` or `Panic`.
    #[serde(borrow, default)]
    pub stage: Cow<'a, str>,
    /// The request URI, query included.
    #[serde(rename = "requestURI", borrow, default)]
    pub request_uri: Cow<'a, str>,
    /// The Kubernetes verb (`get`, `list`, `create`, …) or the HTTP verb
    /// lower-cased for non-resource requests.
    #[serde(borrow, default)]
    pub verb: Cow<'a, str>,
    /// Who made the request.
    #[serde(borrow, default)]
    pub user: UserInfo<'a>,
    /// Whom they impersonated, if anyone.
    #[serde(borrow, default)]
    pub impersonated_user: Option<UserInfo<'a>>,
    /// The client's addresses, the connection's last.
    #[serde(rename = "sourceIPs", borrow, default)]
    pub source_ips: Vec<Cow<'a, str>>,
    /// The client's user agent.
    #[serde(borrow, default)]
    pub user_agent: Cow<'a, str>,
    /// The object the request is about.
    #[serde(borrow, default)]
    pub object_ref: Option<ObjectRef<'a>>,
    /// The response's status (its code is what matters).
    #[serde(borrow, default)]
    pub response_status: Option<ResponseStatus<'a>>,
    /// The request body, at level Request and above.
    #[serde(borrow, default)]
    pub request_object: Option<&'a RawValue>,
    /// The response body, at level RequestResponse.
    #[serde(borrow, default)]
    pub response_object: Option<&'a RawValue>,
    /// When the request arrived.
    #[serde(borrow, default)]
    pub request_received_timestamp: Cow<'a, str>,
    /// When this stage was reached.
    #[serde(borrow, default)]
    pub stage_timestamp: Cow<'a, str>,
    /// v1beta1's event time.
    #[serde(borrow, default)]
    pub timestamp: Cow<'a, str>,
    /// Annotations (authorization decision and reason, admission, …), raw.
    #[serde(borrow, default)]
    pub annotations: Option<&'a RawValue>,
    /// An EventList's events.
    #[serde(borrow, default)]
    items: Vec<Event<'a>>,
}

/// `authentication.k8s.io` UserInfo.
#[derive(Debug, Default, Deserialize)]
pub struct UserInfo<'a> {
    /// The user name (`system:serviceaccount:NS:NAME` for a ServiceAccount).
    #[serde(borrow, default)]
    pub username: Cow<'a, str>,
    /// The user's groups.
    #[serde(borrow, default)]
    pub groups: Vec<Cow<'a, str>>,
}

/// What the request was about.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef<'a> {
    /// The resource (plural, lower-case: `pods`).
    #[serde(borrow, default)]
    pub resource: Cow<'a, str>,
    /// The namespace (empty for cluster-scoped objects).
    #[serde(borrow, default)]
    pub namespace: Cow<'a, str>,
    /// The object's name (empty for lists and creates without a name).
    #[serde(borrow, default)]
    pub name: Cow<'a, str>,
    /// The API group (empty for the core group).
    #[serde(borrow, default)]
    pub api_group: Cow<'a, str>,
    /// The API version.
    #[serde(borrow, default)]
    pub api_version: Cow<'a, str>,
    /// The subresource (`exec`, `token`, `proxy`, …).
    #[serde(borrow, default)]
    pub subresource: Cow<'a, str>,
}

/// The response's status.
#[derive(Debug, Default, Deserialize)]
pub struct ResponseStatus<'a> {
    /// The HTTP status code.
    #[serde(default)]
    pub code: Option<u16>,
    /// The reason, for failures.
    #[serde(borrow, default)]
    pub reason: Cow<'a, str>,
    /// The message, for failures.
    #[serde(borrow, default)]
    pub message: Cow<'a, str>,
}

/// Why a line is not an audit event.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Not JSON, or JSON of the wrong shape.
    #[error("not an audit event: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON of another kind.
    #[error("not an audit event: kind `{0}`")]
    Kind(String),
    /// Not a JSON object.
    #[error("not an audit event: not a JSON object")]
    NotObject,
    /// An object with none of an event's fields.
    #[error("not an audit event: no auditID, verb or stage")]
    Empty,
    /// An apiVersion kaegis does not read.
    #[error("unsupported apiVersion `{0}` (kaegis reads audit.k8s.io/v1 and v1beta1)")]
    ApiVersion(String),
}

/// Decodes one line: an Event, or an EventList's events.
pub fn decode(line: &[u8]) -> Result<Vec<Event<'_>>, DecodeError> {
    let mut out = Vec::new();
    for_each_owned(line, |ev| out.push(ev))?;
    Ok(out)
}

/// Calls `f` with each event of a line, without allocating a vector for the
/// common single-event line; returns how many events it held.
pub fn for_each<'a>(line: &'a [u8], mut f: impl FnMut(&Event<'a>)) -> Result<usize, DecodeError> {
    for_each_owned(line, |ev| f(&ev))
}

fn for_each_owned<'a>(line: &'a [u8], mut f: impl FnMut(Event<'a>)) -> Result<usize, DecodeError> {
    // serde would read `[...]` as a struct too; an event is an object.
    if line.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(DecodeError::NotObject);
    }
    let mut ev: Event<'a> = serde_json::from_slice(line)?;
    match &*ev.api_version {
        "" | "audit.k8s.io/v1" | "audit.k8s.io/v1beta1" | "audit.k8s.io/v1alpha1" => {}
        other => return Err(DecodeError::ApiVersion(other.to_owned())),
    }
    match &*ev.kind {
        "" | "Event" => {
            if ev.audit_id.is_empty() && ev.verb.is_empty() && ev.stage.is_empty() {
                return Err(DecodeError::Empty);
            }
            f(ev);
            Ok(1)
        }
        "EventList" => {
            let items = std::mem::take(&mut ev.items);
            let n = items.len();
            items.into_iter().for_each(f);
            Ok(n)
        }
        other => Err(DecodeError::Kind(other.to_owned())),
    }
}

impl<'a> Event<'a> {
    /// The identity the request acted as: the impersonated user when there
    /// is one, else the authenticated user.
    pub fn acting_user(&self) -> &UserInfo<'a> {
        self.impersonated_user.as_ref().unwrap_or(&self.user)
    }

    /// The resource, or "".
    pub fn resource(&self) -> &str {
        self.object_ref.as_ref().map_or("", |o| &o.resource)
    }

    /// The subresource, or "".
    pub fn subresource(&self) -> &str {
        self.object_ref.as_ref().map_or("", |o| &o.subresource)
    }

    /// The namespace, or "".
    pub fn namespace(&self) -> &str {
        self.object_ref.as_ref().map_or("", |o| &o.namespace)
    }

    /// The object name, or "".
    pub fn name(&self) -> &str {
        self.object_ref.as_ref().map_or("", |o| &o.name)
    }

    /// The object's name: the request's, else the body's `metadata.name`
    /// (a create's URI has no name; the body does).
    pub fn name_in<'s>(&'s self, body: &'s serde_json::Value) -> Option<&'s str> {
        match self.name() {
            "" => body
                .pointer("/metadata/name")
                .and_then(serde_json::Value::as_str),
            n => Some(n),
        }
    }

    /// The API group, or "" (the core group).
    pub fn api_group(&self) -> &str {
        self.object_ref.as_ref().map_or("", |o| &o.api_group)
    }

    /// True when the request is about `resource` (and, when `subresource`
    /// is not empty, that subresource; when it is empty, no subresource).
    pub fn is(&self, resource: &str, subresource: &str) -> bool {
        self.resource() == resource && self.subresource() == subresource
    }

    /// The HTTP status code (0 when the event has none, e.g. RequestReceived).
    pub fn code(&self) -> u16 {
        self.response_status
            .as_ref()
            .and_then(|s| s.code)
            .unwrap_or(0)
    }

    /// True when the request succeeded (2xx, or 101 for an upgraded
    /// exec/attach/port-forward stream).
    pub fn succeeded(&self) -> bool {
        matches!(self.code(), 101 | 200..=299)
    }

    /// The client's address as the API server saw it: the first of
    /// `sourceIPs` (the originating client when proxies add theirs).
    pub fn source_ip(&self) -> &str {
        self.source_ips.first().map_or("", |s| s)
    }

    /// The event's time in microseconds since the Unix epoch: the stage's
    /// time, else when the request arrived, else v1beta1's `timestamp`.
    pub fn time_micros(&self) -> Option<i64> {
        [
            &self.stage_timestamp,
            &self.request_received_timestamp,
            &self.timestamp,
        ]
        .into_iter()
        .find(|t| !t.is_empty())
        .and_then(|t| parse_rfc3339_micros(t))
    }

    /// The request body parsed, when the event carries it.
    pub fn request_json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(self.request_object?.get()).ok()
    }

    /// The response body parsed, when the event carries it.
    pub fn response_json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(self.response_object?.get()).ok()
    }

    /// The object as written: the request body, else the response body.
    pub fn object_json(&self) -> Option<serde_json::Value> {
        self.request_json().or_else(|| self.response_json())
    }

    /// One annotation's value.
    pub fn annotation(&self, key: &str) -> Option<String> {
        let raw = self.annotations?;
        let map: std::collections::HashMap<Cow<'_, str>, Cow<'_, str>> =
            serde_json::from_str(raw.get()).ok()?;
        map.get(key).map(|v| v.to_string())
    }

    /// The values of a query parameter of the request URI (`command` of an
    /// exec, repeated once per argument), percent-decoded.
    pub fn query_values(&self, key: &str) -> Vec<String> {
        let Some((_, query)) = self.request_uri.split_once('?') else {
            return Vec::new();
        };
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| percent_decode(v))
            .collect()
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub use kaegis_core::time::{format_rfc3339_micros, parse_rfc3339_micros};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_v1_v1beta1_lists_and_bare_events() {
        let v1 = br#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/web/pods/p/exec?command=sh&command=-c&command=id%20-u","verb":"create","user":{"username":"alice","groups":["dev","system:authenticated"]},"sourceIPs":["10.0.0.7"],"userAgent":"kubectl/v1.37.0","objectRef":{"resource":"pods","namespace":"web","name":"p","apiVersion":"v1","subresource":"exec"},"responseStatus":{"metadata":{},"code":101},"requestReceivedTimestamp":"2026-11-23T10:00:00.000001Z","stageTimestamp":"2026-11-23T10:00:01.000000Z","annotations":{"authorization.k8s.io/decision":"allow"}}"#;
        let evs = decode(v1).unwrap();
        let e = &evs[0];
        assert!(e.is("pods", "exec") && e.succeeded());
        assert_eq!(e.user.username, "alice");
        assert_eq!(e.source_ip(), "10.0.0.7");
        assert_eq!(e.query_values("command"), ["sh", "-c", "id -u"]);
        assert_eq!(
            e.annotation("authorization.k8s.io/decision").as_deref(),
            Some("allow")
        );
        assert_eq!(
            e.time_micros(),
            parse_rfc3339_micros("2026-11-23T10:00:01Z")
        );

        let beta = br#"{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","metadata":{"creationTimestamp":"2019-01-01T00:00:00Z"},"timestamp":"2019-01-01T00:00:00Z","auditID":"b","stage":"ResponseComplete","verb":"get","user":{"username":"bob"}}"#;
        assert_eq!(
            decode(beta).unwrap()[0].time_micros(),
            parse_rfc3339_micros("2019-01-01T00:00:00Z")
        );

        let bare = br#"{"auditID":"c","verb":"list","user":{"username":"u\u0041"}}"#;
        assert_eq!(decode(bare).unwrap()[0].user.username, "uA");

        let list = br#"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[{"auditID":"1","verb":"get"},{"auditID":"2","verb":"list"}]}"#;
        let ids: Vec<_> = decode(list)
            .unwrap()
            .iter()
            .map(|e| e.audit_id.to_string())
            .collect();
        assert_eq!(ids, ["1", "2"]);
    }

    #[test]
    fn rejects_what_is_not_an_event() {
        assert!(matches!(
            decode(b"{\"kind\":\"Pod\",\"apiVersion\":\"v1\"}"),
            Err(DecodeError::ApiVersion(_))
        ));
        assert!(matches!(
            decode(b"{\"kind\":\"Pod\"}"),
            Err(DecodeError::Kind(_))
        ));
        assert!(matches!(decode(b"{not json"), Err(DecodeError::Json(_))));
        assert!(matches!(decode(b"[]"), Err(DecodeError::NotObject)));
        assert!(matches!(decode(b"{}"), Err(DecodeError::Empty)));
        assert!(decode(b"{\"verb\": 3}").is_err());
    }
}
