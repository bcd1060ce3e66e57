//! kaegis-serve: the HTTPS machinery `kaegis admission` and
//! `kaegis detect --listen` share, so both behave the same at the edge.
//!
//! - [`tls`]: rustls from a certificate and key file, re-read when either
//!   changes (polled every two seconds); a bad pair is reported and the
//!   previous one kept; counters for reloads and failures.
//! - [`Server`]: binds the HTTPS and the plain operations listeners, accepts
//!   with a ten-second TLS handshake bound, serves HTTP/1.1 and HTTP/2
//!   (hyper's auto builder) with a header-read timeout, and shuts down
//!   gracefully: unready, stop accepting, let in-flight requests finish (up
//!   to [`Limits::drain`]).
//! - [`ops`]: `/healthz`, `/readyz` (a readiness callback) and Prometheus
//!   `/metrics` (a registry the caller fills) over plain HTTP.
//! - [`body`]: reading a request body within [`Limits::max_body`] (413) and
//!   answering within [`Limits::request_timeout`] (408); JSON error replies.
//!
//! This crate knows nothing of admission or audit events: a server hands it
//! a [`Handler`] and a metrics registry.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod body;
pub mod ops;
mod server;
pub mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub use body::{Body, error, read_body, reply, timed};
pub use ops::OpsHandle;
pub use server::{Handler, Server};
pub use tls::TlsMetrics;

/// Bounds on what one client may cost.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest request body accepted.
    pub max_body: usize,
    /// Time to receive a request and answer it.
    pub request_timeout: Duration,
    /// Time in-flight requests get at shutdown.
    pub drain: Duration,
}

impl Default for Limits {
    /// The admission webhook's bounds (the first server's).
    fn default() -> Self {
        Self {
            // The API server's own limit on an object is 3 MiB.
            max_body: 3 * 1024 * 1024 + 64 * 1024,
            // Below the 5 s webhook timeout the deploy manifests set.
            request_timeout: Duration::from_secs(4),
            drain: Duration::from_secs(20),
        }
    }
}

/// Where a server listens and what it serves with.
#[derive(Clone, Debug)]
pub struct Options {
    /// HTTPS address of the server's endpoints.
    pub listen: SocketAddr,
    /// Plain-HTTP address for health and metrics.
    pub metrics_listen: Option<SocketAddr>,
    /// PEM certificate chain.
    pub tls_cert: PathBuf,
    /// PEM private key.
    pub tls_key: PathBuf,
    /// Bounds.
    pub limits: Limits,
}

/// A running server's addresses (the ports actually bound, for `:0`).
#[derive(Clone, Copy, Debug)]
pub struct Bound {
    /// The HTTPS address.
    pub webhook: SocketAddr,
    /// The metrics address.
    pub metrics: Option<SocketAddr>,
}

/// Whether the HTTPS listener takes requests: true while accepting, false
/// before and once shutdown began. `/readyz` also asks the caller's own
/// readiness callback.
#[derive(Clone, Debug, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    /// Sets it.
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::SeqCst);
    }

    /// Reads it.
    pub fn get(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Completes when `stop` fires (or its sender is dropped), or on SIGTERM or
/// SIGINT when there is no `stop`. The signal handlers are installed when
/// this is called, not when the future is first polled, so a signal that
/// arrives right after a server announced itself is not lost to the
/// default action (which would end the process without a drain). Call it
/// inside a tokio runtime.
pub fn shutdown_signal(
    stop: Option<tokio::sync::oneshot::Receiver<()>>,
) -> impl std::future::Future<Output = ()> + Send {
    #[cfg(unix)]
    let handlers = stop.is_none().then(|| {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    });
    async move {
        if let Some(rx) = stop {
            let _ = rx.await;
            return;
        }
        #[cfg(unix)]
        {
            let (term, int) = handlers.unwrap_or((None, None));
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(term) => {}
                _ = wait(int) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
