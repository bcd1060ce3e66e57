//! The operations listener: `/healthz`, `/readyz` and `/metrics` over
//! plain HTTP, on a port apart from the served endpoints.

use std::convert::Infallible;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

use crate::body::{Body, reply};

/// The content type of Prometheus' OpenMetrics text.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What the operations listener reports.
#[derive(Clone)]
pub struct Ops {
    /// Encoded on every `/metrics`.
    pub registry: Arc<Registry>,
    /// `/readyz` answers 200 while this is true, else 503.
    pub ready: Arc<dyn Fn() -> bool + Send + Sync>,
}

impl Ops {
    /// The registry in the text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    fn answer(&self, req: &Request<Incoming>) -> Response<Body> {
        match (req.method(), req.uri().path()) {
            (&Method::GET, "/healthz") => reply(StatusCode::OK, "text/plain", "ok\n"),
            (&Method::GET, "/readyz") => {
                if (self.ready)() {
                    reply(StatusCode::OK, "text/plain", "ready\n")
                } else {
                    reply(StatusCode::SERVICE_UNAVAILABLE, "text/plain", "not ready\n")
                }
            }
            (&Method::GET, "/metrics") => reply(StatusCode::OK, OPENMETRICS, self.encode()),
            _ => reply(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
        }
    }
}

/// A running operations listener; it stops when [`OpsHandle::stop`] is
/// called or the handle is dropped.
pub struct OpsHandle {
    task: tokio::task::JoinHandle<()>,
}

impl OpsHandle {
    /// Stops accepting.
    pub fn stop(self) {}
}

impl Drop for OpsHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `ops` on `listener` with `builder` until the handle is dropped.
pub(crate) fn spawn_with(
    listener: TcpListener,
    ops: Ops,
    builder: Arc<auto::Builder<TokioExecutor>>,
) -> OpsHandle {
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let ops = ops.clone();
            let builder = builder.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| {
                    let r = ops.answer(&req);
                    async move { Ok::<_, Infallible>(r) }
                });
                let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
            });
        }
    });
    OpsHandle { task }
}

/// Serves only the operations listener (for a process with no HTTPS
/// endpoint, e.g. `kaegis detect --follow --metrics-listen`); binds
/// `addr` and returns the bound address with the handle.
pub async fn serve_ops(
    addr: std::net::SocketAddr,
    ops: Ops,
    header_read_timeout: std::time::Duration,
) -> anyhow::Result<(std::net::SocketAddr, OpsHandle)> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let bound = listener.local_addr()?;
    let builder = Arc::new(crate::server::builder(header_read_timeout));
    Ok((bound, spawn_with(listener, ops, builder)))
}
