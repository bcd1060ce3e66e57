//! Checks of the `etcd` area: etcd's configuration on a control-plane node
//! (`kaegis node` builds the `node.kaegis.dev/v1` `Etcd` object they read),
//! after the CIS Kubernetes Benchmark's section 2.

pub mod auto_tls;
pub mod client_cert_auth;
pub mod client_tls;
pub mod peer_auto_tls;
pub mod peer_client_cert_auth;
pub mod peer_tls;
pub mod plaintext_listener;

use kaegis_core::Check;

/// The checks of this area.
pub static CHECKS: &[&dyn Check] = &[
    &client_tls::EtcdClientTls,
    &client_cert_auth::EtcdClientCertAuth,
    &auto_tls::EtcdAutoTls,
    &peer_tls::EtcdPeerTls,
    &peer_client_cert_auth::EtcdPeerClientCertAuth,
    &peer_auto_tls::EtcdPeerAutoTls,
    &plaintext_listener::EtcdPlaintextListener,
];
