//! The audit webhook server over real TLS and TCP: an EventList raises its
//! alert; bounds (413), malformed bodies (400, counted); a full queue
//! answers 429 with Retry-After and the retried batch is judged; shutdown
//! judges every batch it accepted; readiness and per-rule metrics.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use kaegis_detect::server::{ServerOptions, run};
use kaegis_detect::{Alert, DetectMetrics, Detector, Pipeline, Settings, Sink, State};
use kaegis_serve::Bound;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A successful `kubectl exec` into pod `web/<pod>`.
fn exec_event(id: &str, pod: &str) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"ResponseStarted","requestURI":"/api/v1/namespaces/web/pods/{pod}/exec?command=sh&stdin=true","verb":"create","user":{{"username":"alice","groups":["dev","system:authenticated"]}},"sourceIPs":["10.0.0.7"],"userAgent":"kubectl/v1.33.0","objectRef":{{"resource":"pods","namespace":"web","name":"{pod}","apiVersion":"v1","subresource":"exec"}},"responseStatus":{{"metadata":{{}},"code":101}},"requestReceivedTimestamp":"2026-11-23T10:00:00.000000Z","stageTimestamp":"2026-11-23T10:00:00.100000Z"}}"#
    )
}

/// A benign read.
fn get_event(id: &str) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/web/pods","verb":"list","user":{{"username":"bob"}},"sourceIPs":["10.0.0.8"],"objectRef":{{"resource":"pods","namespace":"web","apiVersion":"v1"}},"responseStatus":{{"code":200}},"stageTimestamp":"2026-11-23T10:00:01.000000Z"}}"#
    )
}

fn event_list(items: &[String]) -> String {
    format!(
        r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{{}},"items":[{}]}}"#,
        items.join(",")
    )
}

/// Collects alerts; while `gate` is closed, `emit` blocks (a slow sink that
/// holds the worker, so the queue fills).
#[derive(Clone, Default)]
struct Collect {
    alerts: Arc<Mutex<Vec<Alert>>>,
    gate: Arc<(Mutex<bool>, Condvar)>,
}

impl Collect {
    fn close(&self) {
        *self.gate.0.lock().unwrap() = true;
    }
    fn open(&self) {
        *self.gate.0.lock().unwrap() = false;
        self.gate.1.notify_all();
    }
    fn rules(&self) -> Vec<String> {
        self.alerts
            .lock()
            .unwrap()
            .iter()
            .map(|a| format!("{} {}", a.rule, a.object.as_ref().unwrap().name))
            .collect()
    }
}

impl Sink for Collect {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        let mut closed = self.gate.0.lock().unwrap();
        while *closed {
            closed = self.gate.1.wait(closed).unwrap();
        }
        self.alerts.lock().unwrap().push(alert.clone());
        Ok(())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Certs {
    _dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
}

fn certs() -> Certs {
    let dir = tempfile::tempdir().unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert = dir.path().join("tls.crt");
    let key = dir.path().join("tls.key");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    Certs {
        _dir: dir,
        cert,
        key,
    }
}

struct Server {
    bound: Bound,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<Pipeline>>,
    sink: Collect,
    certs: Certs,
}

async fn start(configure: impl FnOnce(&mut ServerOptions)) -> Server {
    let certs = certs();
    let sink = Collect::default();
    let detector = Detector::new(
        kaegis_detect::rules::builtin(),
        Settings::default(),
        State::default(),
    );
    let pipeline = Pipeline::new(detector, vec![Box::new(sink.clone())]);
    let mut opts = ServerOptions::new(
        "127.0.0.1:0".parse().unwrap(),
        Some("127.0.0.1:0".parse().unwrap()),
        certs.cert.clone(),
        certs.key.clone(),
    );
    configure(&mut opts);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (btx, brx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(run(
        opts,
        pipeline,
        DetectMetrics::new(),
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
        sink,
        certs,
    }
}

async fn tls(addr: SocketAddr, ca: &Path) -> tokio_rustls::client::TlsStream<TcpStream> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("TLS handshake")
}

struct Answer {
    code: u16,
    head: String,
    body: String,
}

async fn read_answer<S: tokio::io::AsyncRead + Unpin>(s: &mut S) -> Answer {
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(15), s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    Answer {
        code: head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0),
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

async fn post(s: &Server, path: &str, body: &[u8]) -> Answer {
    let mut c = tls(s.bound.webhook, &s.certs.cert).await;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    c.write_all(head.as_bytes()).await.unwrap();
    c.write_all(body).await.unwrap();
    read_answer(&mut c).await
}

async fn get(addr: SocketAddr, path: &str) -> Answer {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    read_answer(&mut s).await
}

async fn stop(mut s: Server) -> (Pipeline, Collect) {
    s.stop.take().unwrap().send(()).unwrap();
    let pipeline = tokio::time::timeout(Duration::from_secs(30), s.task)
        .await
        .expect("server stopped")
        .unwrap()
        .unwrap();
    (pipeline, s.sink)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_bounds_errors_readiness_and_metrics() {
    let s = start(|o| o.serve.limits.max_body = 64 * 1024).await;
    let ops = s.bound.metrics.unwrap();
    assert_eq!(get(ops, "/healthz").await.code, 200);
    // Ready once the worker runs (it starts at once).
    let mut ready = 0;
    for _ in 0..50 {
        ready = get(ops, "/readyz").await.code;
        if ready == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(ready, 200);

    let batch = event_list(&[
        get_event("a-1"),
        exec_event("a-2", "api-1"),
        get_event("a-3"),
    ]);
    let a = post(&s, "/audit", batch.as_bytes()).await;
    assert_eq!(a.code, 200, "{}", a.body);
    // `/` serves too (a kubeconfig pointing at the bare host).
    let a = post(&s, "/", exec_event("a-4", "api-2").as_bytes()).await;
    assert_eq!(a.code, 200, "{}", a.body);

    let a = post(
        &s,
        "/audit",
        b"{\"kind\":\"EventList\",\"items\":[{\"verb\":",
    )
    .await;
    assert_eq!(a.code, 400);
    assert!(a.body.contains("not an audit event"), "{}", a.body);
    let a = post(&s, "/audit", br#"{"kind":"Pod","apiVersion":"v1"}"#).await;
    assert_eq!(a.code, 400);
    assert!(a.body.contains("unsupported apiVersion"), "{}", a.body);
    let big = vec![b' '; 100 * 1024];
    assert_eq!(post(&s, "/audit", &big).await.code, 413);
    assert_eq!(post(&s, "/other", b"{}").await.code, 404);

    // The worker judges batches soon after they are taken.
    for _ in 0..100 {
        if s.sink.rules().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(s.sink.rules(), ["pod-exec api-1", "pod-exec api-2"]);

    let m = get(ops, "/metrics").await.body;
    for line in [
        r#"kaegis_detect_alerts_total{rule="pod-exec",severity="medium"} 2"#,
        r#"kaegis_detect_batches_total{code="200"} 2"#,
        r#"kaegis_detect_batches_total{code="400"} 2"#,
        r#"kaegis_detect_batches_total{code="413"} 1"#,
        "kaegis_detect_decode_errors_total 2",
        "kaegis_detect_events_received_total 4",
        "kaegis_detect_events_processed_total 4",
        "kaegis_detect_queue_events 0",
        r#"kaegis_detect_ingest_latency_seconds_count{stage="processed"} 2"#,
    ] {
        assert!(m.contains(line), "{line} missing in\n{m}");
    }

    let (pipeline, _) = stop(s).await;
    assert_eq!(pipeline.events, 4);
    assert_eq!(pipeline.detector().stats().alerts["pod-exec"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_429_and_shutdown_judges_what_it_took() {
    let s = start(|o| {
        o.queue_events = 2;
        o.enqueue_wait = Duration::from_millis(300);
        o.retry_after = Duration::from_secs(2);
    })
    .await;
    let ops = s.bound.metrics.unwrap();
    // The sink holds the worker on the first alert: batch 1 is taken and
    // stuck in the worker, batch 2 and 3 fill the queue (2 events).
    s.sink.close();
    let b1 = event_list(&[exec_event("q-1", "p1")]);
    let b2 = event_list(&[exec_event("q-2", "p2")]);
    let b3 = event_list(&[exec_event("q-3", "p3")]);
    let b4 = event_list(&[exec_event("q-4", "p4")]);
    assert_eq!(post(&s, "/audit", b1.as_bytes()).await.code, 200);
    assert_eq!(post(&s, "/audit", b2.as_bytes()).await.code, 200);
    let full = post(&s, "/audit", b3.as_bytes()).await;
    assert_eq!(full.code, 429, "{}", full.body);
    assert!(
        full.head.to_ascii_lowercase().contains("retry-after: 2"),
        "{}",
        full.head
    );
    let m = get(ops, "/metrics").await.body;
    assert!(m.contains("kaegis_detect_queue_events 2"), "{m}");
    assert!(
        m.contains(r#"kaegis_detect_batches_total{code="429"} 1"#),
        "{m}"
    );

    // The receiver catches up; the retried batch is taken and judged.
    s.sink.open();
    let mut code = 0;
    for _ in 0..20 {
        code = post(&s, "/audit", b3.as_bytes()).await.code;
        if code == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(code, 200);

    // Shutdown while the worker is held again: what was taken is judged
    // before `run` returns.
    s.sink.close();
    assert_eq!(post(&s, "/audit", b4.as_bytes()).await.code, 200);
    let sink = s.sink.clone();
    let opener = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        sink.open();
    });
    let webhook = s.bound.webhook;
    let (pipeline, sink) = stop(s).await;
    opener.await.unwrap();
    assert_eq!(
        sink.rules(),
        ["pod-exec p1", "pod-exec p2", "pod-exec p3", "pod-exec p4"]
    );
    assert_eq!(pipeline.events, 4);
    assert!(
        TcpStream::connect(webhook).await.is_err(),
        "still accepting after shutdown"
    );
}

/// `kaegis detect --follow --metrics-listen`: the same counters from a
/// pipeline fed line by line, served from a thread of their own.
#[test]
fn follow_mode_metrics() {
    let metrics = DetectMetrics::new();
    let server =
        kaegis_detect::server::MetricsThread::start("127.0.0.1:0".parse().unwrap(), &metrics)
            .unwrap();
    let detector = Detector::new(
        kaegis_detect::rules::builtin(),
        Settings::default(),
        State::default(),
    );
    let mut pipeline = Pipeline::new(detector, Vec::new());
    metrics.attach(&mut pipeline);
    for (i, line) in [
        exec_event("f-1", "x"),
        exec_event("f-2", "x"),
        "garbage".to_owned(),
        get_event("f-3"),
    ]
    .iter()
    .enumerate()
    {
        let _ = pipeline.line(line.as_bytes());
        if i % 2 == 1 {
            metrics.observe(&pipeline);
        }
    }
    metrics.observe(&pipeline);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let m = runtime.block_on(get(server.addr(), "/metrics")).body;
    for line in [
        r#"kaegis_detect_alerts_total{rule="pod-exec",severity="medium"} 1"#,
        r#"kaegis_detect_alerts_suppressed_total{rule="pod-exec"} 1"#,
        "kaegis_detect_events_processed_total 3",
        "kaegis_detect_decode_errors_total 1",
    ] {
        assert!(m.contains(line), "{line} missing in\n{m}");
    }
    assert_eq!(runtime.block_on(get(server.addr(), "/readyz")).code, 200);
    let addr = server.addr();
    drop(server);
    assert!(std::net::TcpStream::connect(addr).is_err());
}
