//! The operations listener on its own: health, readiness from the caller's
//! callback, and the caller's registry on /metrics.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kaegis_serve::ops::{Ops, serve_ops};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, text)
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let mut registry = Registry::with_prefix("test");
    let hits = Counter::<u64>::default();
    registry.register("hits", "Hits", hits.clone());
    hits.inc_by(3);
    let ready = Arc::new(AtomicBool::new(false));
    let r = ready.clone();
    let ops = Ops {
        registry: Arc::new(registry),
        ready: Arc::new(move || r.load(Ordering::SeqCst)),
    };
    let (addr, handle) = serve_ops("127.0.0.1:0".parse().unwrap(), ops, Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(get(addr, "/healthz").await.0, 200);
    assert_eq!(get(addr, "/readyz").await.0, 503);
    ready.store(true, Ordering::SeqCst);
    assert_eq!(get(addr, "/readyz").await.0, 200);
    let (code, body) = get(addr, "/metrics").await;
    assert_eq!(code, 200);
    assert!(body.contains("test_hits_total 3"), "{body}");
    assert_eq!(get(addr, "/nope").await.0, 404);
    handle.stop();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(TcpStream::connect(addr).await.is_err());
}
