//! rustls from certificate files, re-read when they change.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// How often the files' modification time and size are compared.
const POLL: Duration = Duration::from_secs(2);

/// Certificate reload counters; [`TlsMetrics::register`] adds them to a
/// server's registry (under its prefix).
#[derive(Clone, Debug, Default)]
pub struct TlsMetrics {
    /// Reloads after the files changed.
    pub reloads: Counter,
    /// Reloads that failed (the previous pair is kept).
    pub errors: Counter,
}

impl TlsMetrics {
    /// Registers `tls_reloads` and `tls_reload_errors`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "tls_reloads",
            "Certificate reloads after the files changed",
            self.reloads.clone(),
        );
        registry.register(
            "tls_reload_errors",
            "Certificate reloads that failed (the previous pair is kept)",
            self.errors.clone(),
        );
    }
}

/// Reads a PEM certificate chain and private key into a rustls key.
pub fn load_key(cert: &Path, key: &Path) -> anyhow::Result<CertifiedKey> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("{}: no certificate in it", cert.display());
    }
    let key_der =
        PrivateKeyDer::from_pem_file(key).map_err(|e| anyhow::anyhow!("{}: {e}", key.display()))?;
    let provider = rustls::crypto::ring::default_provider();
    CertifiedKey::from_der(certs, key_der, &provider)
        .map_err(|e| anyhow::anyhow!("{} and {}: {e}", cert.display(), key.display()))
}

/// The current certificate, swapped when the files change.
#[derive(Debug)]
struct Reloading {
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|k| k.clone())
    }
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

/// A TLS acceptor serving the certificate in two files.
pub struct Tls {
    cert: PathBuf,
    key: PathBuf,
    resolver: Arc<Reloading>,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl Tls {
    /// Loads the pair (an error names the file) and offers h2 and
    /// http/1.1. Installs ring as the process's rustls provider if none is.
    pub fn from_files(cert: &Path, key: &Path) -> anyhow::Result<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let first = load_key(cert, key)?;
        let resolver = Arc::new(Reloading {
            current: RwLock::new(Arc::new(first)),
        });
        let mut config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_cert_resolver(resolver.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            resolver,
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// The acceptor (cheap to clone).
    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        self.acceptor.clone()
    }

    /// Polls the files and swaps the certificate when they change, until
    /// the task is aborted; `name` prefixes its messages on stderr.
    pub fn watch(&self, name: &'static str, metrics: TlsMetrics) -> tokio::task::JoinHandle<()> {
        let (cert, key) = (self.cert.clone(), self.key.clone());
        let resolver = self.resolver.clone();
        tokio::spawn(async move {
            let mut seen = (stamp(&cert), stamp(&key));
            loop {
                tokio::time::sleep(POLL).await;
                let now = (stamp(&cert), stamp(&key));
                if now == seen {
                    continue;
                }
                seen = now;
                match load_key(&cert, &key) {
                    Ok(k) => {
                        if let Ok(mut cur) = resolver.current.write() {
                            *cur = Arc::new(k);
                        }
                        metrics.reloads.inc();
                        eprintln!("kaegis {name}: reloaded the TLS certificate");
                    }
                    Err(e) => {
                        metrics.errors.inc();
                        eprintln!("kaegis {name}: keeping the previous certificate: {e:#}");
                    }
                }
            }
        })
    }
}
