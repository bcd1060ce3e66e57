//! The webhook server over real TLS and TCP: decisions, bounds (body size,
//! slow clients), health and metrics, certificate reload without restart,
//! and a graceful shutdown that lets an in-flight request finish.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kaegis_admission::server::{Bound, Limits, NoCluster, Options, run};
use kaegis_admission::{Admission, certs};
use kaegis_core::Selection;
use kaegis_policy::AdmissionSpec;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PRIVILEGED: &str = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"web","operation":"CREATE","userInfo":{"username":"alice"},"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx:1.25","securityContext":{"privileged":true}}]}}}}"#;

struct Server {
    bound: Bound,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

async fn start(dir: &Path, limits: Limits) -> Server {
    let admission = Admission::new(
        &kaegis_checks::CATALOG,
        &Selection::default(),
        AdmissionSpec::default(),
    )
    .unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (btx, brx) = tokio::sync::oneshot::channel();
    let opts = Options {
        listen: "127.0.0.1:0".parse().unwrap(),
        metrics_listen: Some("127.0.0.1:0".parse().unwrap()),
        tls_cert: dir.join("tls.crt"),
        tls_key: dir.join("tls.key"),
        limits,
    };
    let task = tokio::spawn(run(
        opts,
        Arc::new(admission),
        Arc::new(NoCluster),
        move |b| {
            let _ = btx.send(b);
        },
        Some(rx),
    ));
    let bound = brx.await.expect("server bound");
    Server {
        bound,
        stop: Some(tx),
        task,
    }
}

fn connector(ca: &Path) -> tokio_rustls::TlsConnector {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

async fn tls(
    addr: SocketAddr,
    ca: &Path,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    connector(ca)
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
}

/// One HTTP/1.1 request over TLS; returns (status, body).
async fn https(
    addr: SocketAddr,
    ca: &Path,
    method: &str,
    path: &str,
    body: &[u8],
) -> (u16, String) {
    let mut s = tls(addr, ca).await.expect("TLS handshake");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    read_response(&mut s).await
}

async fn read_response<S: tokio::io::AsyncRead + Unpin>(s: &mut S) -> (u16, String) {
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    read_response(&mut s).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decides_bounds_reports_reloads_and_drains() {
    let dir = tempfile::tempdir().unwrap();
    let first = certs::write(dir.path(), &["localhost".into()], &[], 30).unwrap();
    let ca1 = dir.path().join("ca-1.crt");
    std::fs::copy(&first.ca, &ca1).unwrap();
    let limits = Limits {
        max_body: 64 * 1024,
        request_timeout: Duration::from_secs(2),
        drain: Duration::from_secs(10),
    };
    let mut server = start(dir.path(), limits).await;
    let (web, ops) = (server.bound.webhook, server.bound.metrics.unwrap());

    // A decision over real TLS.
    let (code, body) = https(web, &ca1, "POST", "/validate", PRIVILEGED.as_bytes()).await;
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["kind"], "AdmissionReview");
    assert_eq!(v["response"]["uid"], "u-1");
    assert_eq!(v["response"]["allowed"], false);
    assert!(
        v["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .contains("KG103")
    );

    // Bad input gets a clear HTTP error, never a hang or a crash.
    let (code, body) = https(web, &ca1, "POST", "/validate", b"{not json").await;
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("not an AdmissionReview"));
    let big = vec![b' '; 100 * 1024];
    let (code, _) = https(web, &ca1, "POST", "/validate", &big).await;
    assert_eq!(code, 413);
    assert_eq!(https(web, &ca1, "GET", "/validate", b"").await.0, 405);
    assert_eq!(https(web, &ca1, "POST", "/other", b"").await.0, 404);

    // A client that sends half a body and stalls gets 408 after the
    // request timeout; others are served meanwhile.
    let mut slow = tls(web, &ca1).await.unwrap();
    slow.write_all(
        b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"apiVersion\"",
    )
    .await
    .unwrap();
    let t = Instant::now();
    assert_eq!(
        https(web, &ca1, "POST", "/validate", PRIVILEGED.as_bytes())
            .await
            .0,
        200
    );
    let (code, _) = read_response(&mut slow).await;
    assert_eq!(code, 408);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());

    // Health and metrics on the plain port.
    assert_eq!(http_get(ops, "/healthz").await.0, 200);
    assert_eq!(http_get(ops, "/readyz").await.0, 200);
    let (code, metrics) = http_get(ops, "/metrics").await;
    assert_eq!(code, 200);
    assert!(
        metrics.contains(
            r#"kaegis_admission_decisions_total{endpoint="/validate",decision="denied"} 2"#
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"kaegis_admission_requests_total{endpoint="/validate",code="413"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"kaegis_admission_findings_total{mode="enforce",check="privileged",namespace="web"} 2"#), "{metrics}");
    assert!(metrics.contains("kaegis_admission_request_duration_seconds_bucket"));

    // New certificate files from a new CA: served without a restart.
    let second = tempfile::tempdir().unwrap();
    let w = certs::write(second.path(), &["localhost".into()], &[], 30).unwrap();
    std::fs::copy(&w.key, dir.path().join("tls.key")).unwrap();
    std::fs::copy(&w.cert, dir.path().join("tls.crt")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if tls(web, &w.ca).await.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate was never served"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(tls(web, &ca1).await.is_err(), "the old CA still verifies");
    let (_, metrics) = http_get(ops, "/metrics").await;
    assert!(
        metrics.contains("kaegis_admission_tls_reloads_total 1"),
        "{metrics}"
    );
    // A broken pair is refused and the current one kept.
    std::fs::write(dir.path().join("tls.crt"), "garbage").unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(tls(web, &w.ca).await.is_ok());

    // Graceful shutdown: a request in flight completes.
    let mut inflight = tls(web, &w.ca).await.unwrap();
    let body = PRIVILEGED.as_bytes();
    inflight
        .write_all(format!("POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).as_bytes())
        .await
        .unwrap();
    inflight.write_all(&body[..10]).await.unwrap();
    // Let the server read the request's head: the request is then in flight
    // (a connection whose head has not arrived yet is idle, and closed).
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.stop.take().unwrap().send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    inflight.write_all(&body[10..]).await.unwrap();
    let (code, answer) = read_response(&mut inflight).await;
    assert_eq!(code, 200, "{answer}");
    assert!(answer.contains("u-1"));
    tokio::time::timeout(Duration::from_secs(15), &mut server.task)
        .await
        .expect("server stopped")
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(web).await.is_err(),
        "still accepting after shutdown"
    );
}
