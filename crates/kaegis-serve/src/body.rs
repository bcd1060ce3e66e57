//! Request bodies within bounds, and the replies every server gives.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Response, StatusCode};

/// The response body type of every kaegis server.
pub type Body = Full<Bytes>;

/// A response with a status, content type and body.
pub fn reply(code: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = code;
    if let Ok(v) = content_type.parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

/// A JSON error response: `{"error": message}`.
pub fn error(code: StatusCode, message: &str) -> Response<Body> {
    let body = serde_json::json!({ "error": message }).to_string();
    reply(code, "application/json", body)
}

/// Reads a whole request body of at most `max` bytes; the error is the
/// response to send: 413 over the limit, 400 when the body breaks off.
pub async fn read_body<B>(body: B, max: usize) -> Result<Bytes, Response<Body>>
where
    B: hyper::body::Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match Limited::new(body, max).collect().await {
        Ok(b) => Ok(b.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("request body over {max} bytes"),
        )),
        Err(e) => Err(error(
            StatusCode::BAD_REQUEST,
            &format!("cannot read the body: {e}"),
        )),
    }
}

/// `answer` within `limit`, else 408 (a client too slow to send its body
/// holds nothing longer than that).
pub async fn timed(
    limit: Duration,
    answer: impl Future<Output = Response<Body>>,
) -> Response<Body> {
    match tokio::time::timeout(limit, answer).await {
        Ok(r) => r,
        Err(_) => error(
            StatusCode::REQUEST_TIMEOUT,
            "the request did not arrive in time",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bodies_over_the_limit_get_413_and_slow_answers_408() {
        let ok = read_body(Full::new(Bytes::from_static(b"12345")), 5).await;
        assert_eq!(ok.ok(), Some(Bytes::from_static(b"12345")));
        let big = read_body(Full::new(Bytes::from_static(b"123456")), 5).await;
        assert_eq!(
            big.err().map(|r| r.status()),
            Some(StatusCode::PAYLOAD_TOO_LARGE)
        );
        let slow = timed(Duration::from_millis(10), async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            reply(StatusCode::OK, "text/plain", "late")
        })
        .await;
        assert_eq!(slow.status(), StatusCode::REQUEST_TIMEOUT);
    }
}
