//! admission.k8s.io/v1 AdmissionReview: the request the API server sends and
//! the response it expects. The object stays raw JSON text until kaegis's
//! own parser reads it into a [`Node`] tree.

use std::collections::BTreeMap;

use kaegis_core::Node;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Why a request body is not an AdmissionReview kaegis can answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReviewError {
    /// Not JSON, or not shaped like an AdmissionReview.
    #[error("not an AdmissionReview: {0}")]
    Malformed(String),
    /// `apiVersion`/`kind` other than admission.k8s.io/v1 AdmissionReview.
    #[error("unsupported {0}: kaegis answers admission.k8s.io/v1 AdmissionReview")]
    Unsupported(String),
    /// No `request`.
    #[error("the AdmissionReview has no request")]
    NoRequest,
}

/// The review as received.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionReview {
    /// `admission.k8s.io/v1`.
    #[serde(default)]
    pub api_version: String,
    /// `AdmissionReview`.
    #[serde(default)]
    pub kind: String,
    /// The request.
    pub request: Option<Request>,
}

/// Group, version and kind (or resource).
#[derive(Debug, Default, Deserialize, Clone)]
pub struct Gvk {
    /// API group (`""` for core).
    #[serde(default)]
    pub group: String,
    /// Version.
    #[serde(default)]
    pub version: String,
    /// Kind.
    #[serde(default)]
    pub kind: String,
}

/// Group, version and resource.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct Gvr {
    /// API group.
    #[serde(default)]
    pub group: String,
    /// Version.
    #[serde(default)]
    pub version: String,
    /// Resource (`pods`).
    #[serde(default)]
    pub resource: String,
}

/// Who sent the request.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct UserInfo {
    /// User name.
    #[serde(default)]
    pub username: String,
    /// Groups.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// One admission request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// Echoed in the response.
    pub uid: String,
    /// The object's kind.
    #[serde(default)]
    pub kind: Gvk,
    /// The resource.
    #[serde(default)]
    pub resource: Gvr,
    /// A subresource (`status`, `scale`…), empty for the object itself.
    #[serde(default)]
    pub sub_resource: String,
    /// The object's name (may be empty on CREATE with generateName).
    #[serde(default)]
    pub name: String,
    /// The namespace of the request (empty for cluster-scoped objects).
    #[serde(default)]
    pub namespace: String,
    /// CREATE, UPDATE, DELETE or CONNECT.
    #[serde(default)]
    pub operation: String,
    /// Who asks.
    #[serde(default)]
    pub user_info: UserInfo,
    /// The object as it would be stored.
    pub object: Option<Box<RawValue>>,
    /// The object before an UPDATE.
    pub old_object: Option<Box<RawValue>>,
    /// A dry run: nothing will be stored.
    #[serde(default)]
    pub dry_run: bool,
}

impl Request {
    /// `kind namespace/name (uid)`, for logs and errors.
    pub fn identity(&self) -> String {
        let ns = if self.namespace.is_empty() {
            String::new()
        } else {
            format!("{}/", self.namespace)
        };
        format!("{} {ns}{} ({})", self.kind.kind, self.name, self.uid)
    }

    /// The object parsed into kaegis's tree.
    pub fn object_node(&self) -> Result<Option<Node>, ReviewError> {
        match &self.object {
            None => Ok(None),
            Some(raw) if raw.get() == "null" => Ok(None),
            Some(raw) => kaegis_inputs::json::parse_json(raw.get())
                .map(Some)
                .map_err(|e| ReviewError::Malformed(format!("request.object: {e}"))),
        }
    }
}

/// Parses a request body.
pub fn parse(body: &[u8]) -> Result<Request, ReviewError> {
    let review: AdmissionReview =
        serde_json::from_slice(body).map_err(|e| ReviewError::Malformed(e.to_string()))?;
    if review.api_version != "admission.k8s.io/v1" || review.kind != "AdmissionReview" {
        return Err(ReviewError::Unsupported(format!(
            "apiVersion {:?} kind {:?}",
            review.api_version, review.kind
        )));
    }
    review.request.ok_or(ReviewError::NoRequest)
}

/// `status` of a denial.
#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct Status {
    /// HTTP-like code (403).
    pub code: u16,
    /// What the user sees.
    pub message: String,
    /// `Forbidden`.
    pub reason: String,
}

/// The answer to one request.
#[derive(Debug, Serialize, Clone, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// The request's uid.
    pub uid: String,
    /// Admit or deny.
    pub allowed: bool,
    /// Why not, when denied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Warnings kubectl prints.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// `JSONPatch` when `patch` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<&'static str>,
    /// Base64 of the JSON Patch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    /// Recorded in the API server's audit log.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
}

impl Response {
    /// An admission with nothing to say.
    pub fn allow(uid: &str) -> Self {
        Self {
            uid: uid.to_owned(),
            allowed: true,
            ..Self::default()
        }
    }

    /// The AdmissionReview carrying this response.
    pub fn to_review(&self) -> serde_json::Value {
        serde_json::json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "response": self,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_request_and_keeps_the_object_raw() {
        let body = br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
            "uid":"u1","kind":{"group":"","version":"v1","kind":"Pod"},
            "resource":{"group":"","version":"v1","resource":"pods"},
            "namespace":"web","operation":"CREATE",
            "userInfo":{"username":"alice","groups":["dev","system:authenticated"]},
            "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}},
            "dryRun":true}}"#;
        let r = parse(body).unwrap();
        assert_eq!(r.uid, "u1");
        assert_eq!(r.identity(), "Pod web/ (u1)");
        assert!(r.dry_run);
        assert_eq!(r.user_info.groups.len(), 2);
        let node = r.object_node().unwrap().unwrap();
        assert_eq!(
            node.get_path(&["metadata", "name"]).unwrap().as_str(),
            Some("p")
        );
    }

    #[test]
    fn refuses_what_is_not_a_v1_review() {
        assert!(matches!(parse(b"{"), Err(ReviewError::Malformed(_))));
        assert!(matches!(
            parse(br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}"#),
            Err(ReviewError::Unsupported(_))
        ));
        assert!(matches!(
            parse(br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#),
            Err(ReviewError::NoRequest)
        ));
    }

    #[test]
    fn a_response_serializes_as_the_api_server_expects() {
        let mut r = Response::allow("u");
        r.warnings.push("w".into());
        let v = r.to_review();
        assert_eq!(v["response"]["uid"], "u");
        assert_eq!(v["response"]["allowed"], true);
        assert_eq!(v["response"]["warnings"][0], "w");
        assert!(v["response"].get("status").is_none());
    }
}
