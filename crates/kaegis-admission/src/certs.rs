//! `kaegis admission certs`: a private CA and a serving certificate for the
//! webhook, and the caBundle its webhook configurations need.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType,
};

/// What `certs` wrote.
#[derive(Debug)]
pub struct Written {
    /// `ca.crt`.
    pub ca: PathBuf,
    /// `tls.crt`.
    pub cert: PathBuf,
    /// `tls.key` (mode 0600).
    pub key: PathBuf,
    /// Base64 of `ca.crt`, for `clientConfig.caBundle`.
    pub ca_bundle: String,
}

/// Writes `ca.crt`, `tls.crt` and `tls.key` to `dir` for the given DNS
/// names and IP addresses (at least one of them), valid for `days`.
pub fn write(dir: &Path, dns: &[String], ips: &[IpAddr], days: u32) -> anyhow::Result<Written> {
    if dns.is_empty() && ips.is_empty() {
        anyhow::bail!(
            "give the names the API server calls the webhook by: --dns kaegis-admission.kaegis-system.svc and/or --ip"
        );
    }
    let now = time_now();
    let until = now + std::time::Duration::from_secs(u64::from(days) * 86_400);

    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    let mut ca_dn = DistinguishedName::new();
    ca_dn.push(DnType::CommonName, "kaegis admission CA");
    ca_params.distinguished_name = ca_dn;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.not_before = now.into();
    ca_params.not_after = until.into();
    let ca_key = KeyPair::generate()?;
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key)?;

    let mut params = CertificateParams::new(dns.to_vec())?;
    for ip in ips {
        params.subject_alt_names.push(SanType::IpAddress(*ip));
    }
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CommonName,
        dns.first().cloned().unwrap_or_else(|| ips[0].to_string()),
    );
    params.distinguished_name = dn;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = now.into();
    params.not_after = until.into();
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &ca)?;

    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let ca_pem = ca.pem();
    let out = Written {
        ca: dir.join("ca.crt"),
        cert: dir.join("tls.crt"),
        key: dir.join("tls.key"),
        ca_bundle: base64::engine::general_purpose::STANDARD.encode(ca_pem.as_bytes()),
    };
    std::fs::write(&out.ca, &ca_pem)?;
    std::fs::write(&out.cert, cert.pem())?;
    write_private(&out.key, key.serialize_pem().as_bytes())?;
    Ok(out)
}

fn time_now() -> std::time::SystemTime {
    std::time::SystemTime::now()
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}
