//! The webhook sink against a real local HTTP(S) server: delivery with
//! headers, retries after 500s, dead letters after permanent failure or a
//! refusal, the Slack body, and a full queue that dead-letters rather than
//! drops.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use kaegis_detect::sink::{BodyFormat, DeliveryMetrics, WebhookOptions, WebhookSink};
use kaegis_detect::{Detector, Pipeline, Settings, State};

/// What the receiver saw, and what it answers next.
#[derive(Default)]
struct Receiver {
    bodies: Mutex<Vec<(String, Option<String>)>>,
    script: Mutex<VecDeque<u16>>,
    delay: Mutex<Duration>,
}

impl Receiver {
    fn bodies(&self) -> Vec<serde_json::Value> {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .map(|(b, _)| serde_json::from_str(b).unwrap())
            .collect()
    }
}

async fn answer(rx: Arc<Receiver>, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let delay = *rx.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    rx.bodies
        .lock()
        .unwrap()
        .push((String::from_utf8_lossy(&body).into_owned(), auth));
    let code = rx.script.lock().unwrap().pop_front().unwrap_or(200);
    let mut r = Response::new(Full::new(Bytes::from_static(b"ok")));
    *r.status_mut() = StatusCode::from_u16(code).unwrap();
    r
}

/// Serves plain HTTP, or HTTPS with `tls`.
async fn receiver(
    script: &[u16],
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> (SocketAddr, Arc<Receiver>) {
    let rx = Arc::new(Receiver::default());
    rx.script.lock().unwrap().extend(script);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = rx.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let state = state.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(answer(state, req).await) }
                });
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                match tls {
                    Some(acceptor) => {
                        if let Ok(s) = acceptor.accept(stream).await {
                            let _ = builder.serve_connection(TokioIo::new(s), svc).await;
                        }
                    }
                    None => {
                        let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                    }
                }
            });
        }
    });
    (addr, rx)
}

fn exec_event(id: &str, pod: &str) -> String {
    format!(
        r#"{{"apiVersion":"audit.k8s.io/v1","kind":"Event","auditID":"{id}","stage":"ResponseStarted","requestURI":"/api/v1/namespaces/kube-system/pods/{pod}/exec?command=sh","verb":"create","user":{{"username":"mallory"}},"sourceIPs":["203.0.113.9"],"objectRef":{{"resource":"pods","namespace":"kube-system","name":"{pod}","subresource":"exec"}},"responseStatus":{{"code":101}},"stageTimestamp":"2026-11-23T10:00:00Z"}}"#
    )
}

fn options(url: String, dead: &Path) -> WebhookOptions {
    let mut o = WebhookOptions::new(url);
    o.initial_backoff = Duration::from_millis(20);
    o.max_backoff = Duration::from_millis(80);
    o.request_timeout = Duration::from_secs(5);
    o.flush_timeout = Duration::from_secs(10);
    o.dead_letter = Some(dead.to_path_buf());
    o
}

/// Runs `n` exec alerts through a pipeline into the sink, flushes, drops.
fn alerts_through(opts: WebhookOptions, metrics: &DeliveryMetrics, n: usize) {
    let sink = WebhookSink::start(opts, metrics.clone()).unwrap();
    let detector = Detector::new(
        kaegis_detect::rules::builtin(),
        Settings::default(),
        State::default(),
    );
    let mut pipeline = Pipeline::new(detector, vec![Box::new(sink)]);
    for i in 0..n {
        let line = exec_event(&format!("id-{i}"), &format!("pod-{i}"));
        assert_eq!(pipeline.line(line.as_bytes()).unwrap(), 1);
    }
    assert_eq!(pipeline.emitted, n as u64);
    let _ = pipeline.flush();
}

fn dead_letters(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn dead_count(m: &DeliveryMetrics, reason: &str) -> u64 {
    m.dead_letters
        .get_or_create(&kaegis_detect::sink::webhook::ReasonLabels {
            reason: reason.into(),
        })
        .get()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivers_with_headers_and_retries_after_500s() {
    let (addr, rx) = receiver(&[500, 503], None).await;
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let mut opts = options(format!("http://{addr}/hook"), &dead);
    opts.bearer_token = Some("s3cret\n".into());
    let metrics = DeliveryMetrics::default();
    let m = metrics.clone();
    tokio::task::spawn_blocking(move || alerts_through(opts, &m, 1))
        .await
        .unwrap();
    let bodies = rx.bodies();
    assert_eq!(bodies.len(), 3, "two failures, then delivered");
    assert!(bodies.iter().all(|b| b == &bodies[0]));
    assert_eq!(bodies[0]["kind"], "Alert");
    assert_eq!(bodies[0]["rule"], "pod-exec");
    assert_eq!(bodies[0]["severity"], "high");
    assert_eq!(
        rx.bodies.lock().unwrap()[0].1.as_deref(),
        Some("Bearer s3cret")
    );
    assert_eq!(metrics.delivered.get(), 1);
    assert_eq!(metrics.retries.get(), 2);
    assert!(dead_letters(&dead).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_after_permanent_failure_and_refusal() {
    let (addr, rx) = receiver(&[500, 500, 500, 400], None).await;
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let mut opts = options(format!("http://{addr}/"), &dead);
    opts.max_attempts = 3;
    let metrics = DeliveryMetrics::default();
    let m = metrics.clone();
    tokio::task::spawn_blocking(move || alerts_through(opts, &m, 2))
        .await
        .unwrap();
    assert_eq!(rx.bodies().len(), 4, "three attempts, then one refused");
    let letters = dead_letters(&dead);
    assert_eq!(letters.len(), 2);
    assert_eq!(letters[0]["reason"], "retries");
    assert_eq!(letters[0]["attempts"], 3);
    assert_eq!(letters[0]["error"], "HTTP 500 Internal Server Error");
    assert_eq!(letters[0]["alert"]["auditID"], "id-0");
    assert_eq!(letters[1]["reason"], "rejected");
    assert_eq!(letters[1]["attempts"], 1);
    assert_eq!(letters[1]["alert"]["auditID"], "id-1");
    assert_eq!(metrics.delivered.get(), 0);
    assert_eq!(dead_count(&metrics, "retries"), 1);
    assert_eq!(dead_count(&metrics, "rejected"), 1);

    // Nobody listening: connection errors are retried, then dead-lettered
    // with the cause.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let dead2 = dir.path().join("dead2.jsonl");
    let mut opts = options(url, &dead2);
    opts.max_attempts = 2;
    let m = metrics.clone();
    tokio::task::spawn_blocking(move || alerts_through(opts, &m, 1))
        .await
        .unwrap();
    let letters = dead_letters(&dead2);
    assert_eq!(letters.len(), 1);
    assert!(
        letters[0]["error"].as_str().unwrap().contains("onnect"),
        "{}",
        letters[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_body_over_https_with_a_private_ca() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.crt");
    std::fs::write(&ca, ck.cert.pem()).unwrap();
    let key = rustls_pki_types::PrivateKeyDer::try_from(ck.signing_key.serialize_der()).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![ck.cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (addr, rx) = receiver(&[], Some(acceptor)).await;
    let dead = dir.path().join("dead.jsonl");
    let mut opts = options(
        format!("https://localhost:{}/services/T/B/X", addr.port()),
        &dead,
    );
    opts.ca_file = Some(ca);
    opts.format = BodyFormat::Slack;
    let metrics = DeliveryMetrics::default();
    let m = metrics.clone();
    tokio::task::spawn_blocking(move || alerts_through(opts, &m, 1))
        .await
        .unwrap();
    assert!(dead_letters(&dead).is_empty(), "{:?}", dead_letters(&dead));
    let bodies = rx.bodies();
    assert_eq!(bodies.len(), 1);
    let b = &bodies[0];
    let text = b["text"].as_str().unwrap();
    assert!(text.starts_with("[HIGH] KD101 pod-exec: "), "{text}");
    assert!(text.contains("mallory"), "{text}");
    assert_eq!(b["blocks"][0]["type"], "header");
    let fields: Vec<&str> = b["blocks"][2]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["text"].as_str().unwrap())
        .collect();
    assert_eq!(fields[0], "*Severity*\nhigh");
    assert_eq!(fields[1], "*Rule*\nKD101 pod-exec");
    assert_eq!(fields[2], "*User*\nmallory");
    assert_eq!(fields[3], "*Object*\npods/exec kube-system/pod-0");
    assert_eq!(fields[4], "*Source*\n203.0.113.9");
    assert_eq!(metrics.delivered.get(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_dead_letters_instead_of_dropping() {
    let (addr, rx) = receiver(&[], None).await;
    *rx.delay.lock().unwrap() = Duration::from_millis(300);
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let mut opts = options(format!("http://{addr}/"), &dead);
    opts.queue = 1;
    let metrics = DeliveryMetrics::default();
    let m = metrics.clone();
    let started = std::time::Instant::now();
    tokio::task::spawn_blocking(move || alerts_through(opts, &m, 6))
        .await
        .unwrap();
    let letters = dead_letters(&dead);
    let delivered = metrics.delivered.get();
    assert!(!letters.is_empty(), "nothing overflowed");
    assert!(letters.iter().all(|l| l["reason"] == "overflow"));
    assert_eq!(delivered + letters.len() as u64, 6, "every alert accounted");
    assert_eq!(rx.bodies().len() as u64, delivered);
    assert_eq!(dead_count(&metrics, "overflow"), letters.len() as u64);
    // The detector was never held up by the slow receiver beyond the flush.
    assert!(started.elapsed() < Duration::from_secs(5));
}
