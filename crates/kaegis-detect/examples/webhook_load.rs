//! Ingestion latency of the audit webhook under load, in one process: the
//! server of `kaegis detect --listen` (built-in rules, alerts to a
//! discarding sink) on loopback HTTPS, and concurrent keep-alive clients
//! POSTing EventList batches of a realistic mix (controller reads at
//! Metadata level, updates and creates with their objects, a few execs and
//! Secret reads). Client and server share the machine's cores, so the
//! numbers are conservative.
//!
//!   cargo run --release -p kaegis-detect --example webhook_load -- \
//!       [SECONDS=10] [CONNECTIONS=32] [EVENTS_PER_BATCH=100] [BATCHES_PER_SECOND]
//!
//! Without a rate the clients send as fast as they are answered (the
//! queue fills and the worker's speed sets the pace); with one, they are
//! paced to it in total (an API server's webhook backend sends at most
//! `--audit-webhook-batch-throttle-qps`, 10 by default, batches of up to
//! 400 events).
//!
//! Prints requests/s, events/s, client-side p50/p90/p99/max per POST (TLS,
//! decode, enqueue, answer), and the server's own histogram: body received
//! to queued and to judged.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use kaegis_detect::server::{ServerOptions, run};
use kaegis_detect::{DetectMetrics, Detector, JsonLines, Pipeline, Settings, State};
use rustls_pki_types::CertificateDer;

/// One event of the mix; `n` makes IDs and names unique.
fn event(n: usize, batch: usize) -> String {
    let id = format!("{batch:08x}-{n:04x}-4a7e-9c1d-5e2f7b3a{n:04x}");
    let ts = format!(
        "2026-11-23T10:{:02}:{:02}.{:06}Z",
        batch / 60 % 60,
        batch % 60,
        n
    );
    match n % 50 {
        // Controllers and kubelets reading: the bulk of any audit log.
        0..=33 => format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/endpoints?resourceVersion={n}","verb":"list","user":{{"username":"system:serviceaccount:kube-system:endpointslice-controller","uid":"5b1c","groups":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]}},"sourceIPs":["10.0.0.11"],"userAgent":"kube-controller-manager/v1.33.1 (linux/amd64) kubernetes/8adc0f0/system:serviceaccount:kube-system:endpointslice-controller","objectRef":{{"resource":"endpoints","namespace":"shop","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":200}},"requestReceivedTimestamp":"{ts}","stageTimestamp":"{ts}","annotations":{{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"system:controller:endpointslice-controller\""}}}}"#
        ),
        34..=43 => format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"{id}","stage":"ResponseComplete","requestURI":"/apis/apps/v1/namespaces/shop/deployments/frontend-{n}","verb":"patch","user":{{"username":"ci-deployer","groups":["ci","system:authenticated"]}},"sourceIPs":["192.168.10.4"],"userAgent":"kubectl/v1.33.0","objectRef":{{"resource":"deployments","namespace":"shop","name":"frontend-{n}","apiGroup":"apps","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":200}},"requestObject":{{"spec":{{"template":{{"spec":{{"containers":[{{"name":"web","image":"registry.example.com/shop/frontend:1.4.{n}"}}]}}}}}}}},"responseObject":{{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"frontend-{n}","namespace":"shop","uid":"0c6e","resourceVersion":"{batch}","generation":7,"labels":{{"app.kubernetes.io/name":"frontend"}}}},"spec":{{"replicas":3,"selector":{{"matchLabels":{{"app":"frontend"}}}},"template":{{"metadata":{{"labels":{{"app":"frontend"}}}},"spec":{{"securityContext":{{"runAsNonRoot":true,"seccompProfile":{{"type":"RuntimeDefault"}}}},"containers":[{{"name":"web","image":"registry.example.com/shop/frontend:1.4.{n}","resources":{{"requests":{{"cpu":"100m","memory":"128Mi"}},"limits":{{"memory":"256Mi"}}}},"securityContext":{{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{{"drop":["ALL"]}}}}}}]}}}}}},"status":{{"replicas":3,"readyReplicas":3}}}},"requestReceivedTimestamp":"{ts}","stageTimestamp":"{ts}"}}"#
        ),
        44..=47 => format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"{id}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods","verb":"create","user":{{"username":"system:serviceaccount:kube-system:replicaset-controller","groups":["system:serviceaccounts","system:authenticated"]}},"sourceIPs":["10.0.0.11"],"userAgent":"kube-controller-manager/v1.33.1","objectRef":{{"resource":"pods","namespace":"shop","name":"frontend-{n}-x7k2p","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":201}},"requestObject":{{"apiVersion":"v1","kind":"Pod","metadata":{{"generateName":"frontend-{n}-","namespace":"shop","labels":{{"app":"frontend"}}}},"spec":{{"containers":[{{"name":"web","image":"registry.example.com/shop/frontend:1.4.2","securityContext":{{"allowPrivilegeEscalation":false}}}}]}}}},"requestReceivedTimestamp":"{ts}","stageTimestamp":"{ts}"}}"#
        ),
        48 => format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"ResponseStarted","requestURI":"/api/v1/namespaces/shop/pods/frontend-{batch}/exec?command=sh&stdin=true&tty=true","verb":"create","user":{{"username":"dana@example.com","groups":["developers","system:authenticated"]}},"sourceIPs":["198.51.100.23"],"userAgent":"kubectl/v1.33.0","objectRef":{{"resource":"pods","namespace":"shop","name":"frontend-{batch}","apiVersion":"v1","subresource":"exec"}},"responseStatus":{{"metadata":{{}},"code":101}},"requestReceivedTimestamp":"{ts}","stageTimestamp":"{ts}"}}"#
        ),
        _ => format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/secrets/db-credentials","verb":"get","user":{{"username":"system:anonymous","groups":["system:unauthenticated"]}},"sourceIPs":["203.0.113.50"],"userAgent":"curl/8.5.0","objectRef":{{"resource":"secrets","namespace":"shop","name":"db-credentials","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"status":"Failure","reason":"Forbidden","code":403}},"requestReceivedTimestamp":"{ts}","stageTimestamp":"{ts}"}}"#
        ),
    }
}

fn batch(events: usize, b: usize) -> Bytes {
    let items: Vec<String> = (0..events).map(|n| event(n, b)).collect();
    Bytes::from(format!(
        r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{{}},"items":[{}]}}"#,
        items.join(",")
    ))
}

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds = arg(1, 10);
    let connections = arg(2, 32) as usize;
    let per_batch = arg(3, 100) as usize;
    let rate = arg(4, 0);
    // Each connection's interval between POSTs when paced.
    let interval = (rate > 0).then(|| Duration::from_secs_f64(connections as f64 / rate as f64));
    let _ = rustls::crypto::ring::default_provider().install_default();

    let dir = tempfile::tempdir()?;
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()])?;
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    std::fs::write(&cert, ck.cert.pem())?;
    std::fs::write(&key, ck.signing_key.serialize_pem())?;

    let detector = Detector::new(
        kaegis_detect::rules::builtin(),
        Settings::default(),
        State::default(),
    );
    let pipeline = Pipeline::new(detector, vec![Box::new(JsonLines::new(std::io::sink()))]);
    let metrics = DetectMetrics::new();
    let opts = ServerOptions::new(
        "127.0.0.1:0".parse()?,
        Some("127.0.0.1:0".parse()?),
        cert.clone(),
        key,
    );
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let (btx, brx) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(run(
        opts,
        pipeline,
        metrics.clone(),
        move |b| {
            let _ = btx.send(b);
        },
        Some(stopped),
    ));
    let bound = brx.await?;

    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(ck.cert.der().to_vec()))?;
    let tls = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .build();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(connections)
        .build(connector);
    let url: hyper::Uri = format!("https://localhost:{}/audit", bound.webhook.port()).parse()?;
    let bodies: Arc<Vec<Bytes>> = Arc::new((0..64).map(|b| batch(per_batch, b)).collect());
    let size: usize = bodies.iter().map(|b| b.len()).sum::<usize>() / bodies.len();
    println!(
        "{connections} connections, {per_batch} events per batch ({} KiB), {seconds} s, {}",
        size / 1024,
        if rate > 0 {
            format!("{rate} batches/s")
        } else {
            "unpaced".to_owned()
        }
    );

    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (client, url, bodies) = (client.clone(), url.clone(), bodies.clone());
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut refused = 0u64;
            let mut i = c;
            let mut next = Instant::now();
            while Instant::now() < deadline {
                if let Some(every) = interval {
                    tokio::time::sleep_until(next.into()).await;
                    next += every;
                }
                let body = bodies[i % bodies.len()].clone();
                i += connections;
                let req = Request::builder()
                    .method(Method::POST)
                    .uri(url.clone())
                    .header("content-type", "application/json")
                    .body(Full::new(body))?;
                let t = Instant::now();
                let resp = client.request(req).await?;
                let ok = resp.status().is_success();
                resp.into_body().collect().await?;
                if ok {
                    samples.push(t.elapsed());
                } else {
                    refused += 1;
                }
            }
            Ok::<_, anyhow::Error>((samples, refused))
        }));
    }
    let mut samples = Vec::new();
    let mut refused = 0;
    for t in tasks {
        let (s, r) = t.await??;
        samples.extend(s);
        refused += r;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let _ = stop.send(());
    let pipeline = server.await??;
    samples.sort();
    let n = samples.len() as f64;
    println!(
        "requests/s {:.0}   events/s {:.0}   refused (429/503) {refused}",
        n / elapsed,
        n * per_batch as f64 / elapsed
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "POST latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        ms(quantile(&samples, 0.5)),
        ms(quantile(&samples, 0.9)),
        ms(quantile(&samples, 0.99)),
        ms(samples.last().copied().unwrap_or_default()),
    );
    println!(
        "events judged {}, alerts {}",
        pipeline.events, pipeline.emitted
    );
    let text = kaegis_serve::ops::Ops {
        registry: metrics.registry(),
        ready: Arc::new(|| true),
    }
    .encode();
    for stage in ["enqueued", "processed"] {
        let get = |what: &str| {
            text.lines()
                .find(|l| {
                    l.starts_with(&format!("kaegis_detect_ingest_latency_seconds_{what}"))
                        && l.contains(stage)
                })
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        let (sum, count) = (get("sum"), get("count"));
        let mut line = format!(
            "server {stage}: mean {:.3} ms over {count} batches;",
            if count > 0.0 { sum / count * 1e3 } else { 0.0 }
        );
        // p99 bucket: the first bound holding 99% of the batches.
        for l in text.lines().filter(|l| {
            l.starts_with("kaegis_detect_ingest_latency_seconds_bucket") && l.contains(stage)
        }) {
            let le = l
                .split("le=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or("");
            let c: f64 = l
                .rsplit(' ')
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0);
            if count > 0.0 && c >= 0.99 * count {
                line.push_str(&format!(" p99 <= {le} s"));
                break;
            }
        }
        println!("{line}");
    }
    Ok(())
}
