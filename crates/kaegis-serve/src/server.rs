//! Binding, accepting, serving and draining.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::body::Body;
use crate::ops::{Ops, OpsHandle, spawn_with};
use crate::tls::{Tls, TlsMetrics};
use crate::{Bound, Limits, Options, Readiness};

/// Time a client gets to complete its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a server does with a request on its HTTPS listener.
pub trait Handler: Send + Sync + 'static {
    /// Answers `req` from `peer`. Bounds are the handler's to apply (see
    /// [`crate::read_body`] and [`crate::timed`]).
    fn handle(
        &self,
        req: Request<Incoming>,
        peer: SocketAddr,
    ) -> impl Future<Output = Response<Body>> + Send;
}

pub(crate) fn builder(header_read_timeout: Duration) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    builder
}

/// A server with its listeners bound and its certificate loaded.
pub struct Server {
    name: &'static str,
    https: TcpListener,
    ops: Option<TcpListener>,
    tls: Tls,
    tls_metrics: TlsMetrics,
    limits: Limits,
    bound: Bound,
    builder: Arc<auto::Builder<TokioExecutor>>,
    readiness: Readiness,
}

impl Server {
    /// Loads the certificate and binds both listeners. `name` prefixes the
    /// server's messages on stderr (`kaegis NAME: …`); `tls_metrics` counts
    /// certificate reloads.
    pub async fn bind(
        name: &'static str,
        opts: &Options,
        tls_metrics: TlsMetrics,
    ) -> anyhow::Result<Self> {
        let tls = Tls::from_files(&opts.tls_cert, &opts.tls_key)?;
        let https = TcpListener::bind(opts.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", opts.listen))?;
        let ops = match opts.metrics_listen {
            Some(a) => Some(
                TcpListener::bind(a)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot listen on {a}: {e}"))?,
            ),
            None => None,
        };
        let bound = Bound {
            webhook: https.local_addr()?,
            metrics: ops.as_ref().and_then(|m| m.local_addr().ok()),
        };
        Ok(Self {
            name,
            https,
            ops,
            tls,
            tls_metrics,
            limits: opts.limits,
            bound,
            builder: Arc::new(builder(opts.limits.request_timeout)),
            readiness: Readiness::default(),
        })
    }

    /// The bound addresses.
    pub fn bound(&self) -> Bound {
        self.bound
    }

    /// True while the HTTPS listener accepts (set by [`Server::serve`]).
    pub fn readiness(&self) -> Readiness {
        self.readiness.clone()
    }

    /// Starts the operations listener, if one was asked for; it runs until
    /// the handle is dropped, so a server can keep reporting while it
    /// finishes work after [`Server::serve`] returned.
    pub fn spawn_ops(&mut self, ops: Ops) -> Option<OpsHandle> {
        let listener = self.ops.take()?;
        Some(spawn_with(listener, ops, self.builder.clone()))
    }

    /// Serves `handler` until `shutdown` completes: ready while accepting;
    /// then unready, stop accepting, and let in-flight requests finish for
    /// up to [`Limits::drain`]. The certificate is re-read on change
    /// meanwhile.
    pub async fn serve<H: Handler>(self, handler: Arc<H>, shutdown: impl Future<Output = ()>) {
        let Self {
            name,
            https,
            tls,
            tls_metrics,
            limits,
            builder,
            readiness,
            ..
        } = self;
        let reload = tls.watch(name, tls_metrics);
        let acceptor = tls.acceptor();
        let graceful = GracefulShutdown::new();
        readiness.set(true);
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = https.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    let acceptor = acceptor.clone();
                    let handler = handler.clone();
                    let builder = builder.clone();
                    let watcher = graceful.watcher();
                    tokio::spawn(async move {
                        let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                            Ok(Ok(tls)) => tls,
                            _ => return,
                        };
                        let svc = hyper::service::service_fn(move |req| {
                            let handler = handler.clone();
                            async move { Ok::<_, Infallible>(handler.handle(req, peer).await) }
                        });
                        let conn = builder.serve_connection(TokioIo::new(tls), svc).into_owned();
                        let _ = watcher.watch(conn).await;
                    });
                }
                _ = &mut shutdown => break,
            }
        }
        // Unready first, so load balancers stop sending; then drain.
        readiness.set(false);
        drop(https);
        eprintln!("kaegis {name}: shutting down, draining in-flight requests");
        if tokio::time::timeout(limits.drain, graceful.shutdown())
            .await
            .is_err()
        {
            eprintln!(
                "kaegis {name}: requests still in flight after {:?}; exiting",
                limits.drain
            );
        }
        reload.abort();
    }
}
