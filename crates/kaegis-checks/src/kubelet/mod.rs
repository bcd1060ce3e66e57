//! Checks of the `kubelet` area: the kubelet's effective configuration on
//! a node (`kaegis node` builds the `node.kaegis.dev/v1` `Kubelet` object
//! they read, and the `KubeProxy` one), after the CIS Kubernetes
//! Benchmark's sections 4.2 and 4.3.

pub mod anonymous_auth;
pub mod authorization_mode;
pub mod client_ca;
pub mod event_qps;
pub mod hostname_override;
pub mod iptables_util_chains;
pub mod kube_proxy_metrics_bind;
pub mod pod_pids_limit;
pub mod protect_kernel_defaults;
pub mod read_only_port;
pub mod rotate_certificates;
pub mod seccomp_default;
pub mod serving_certificate;
pub mod streaming_idle_timeout;
pub mod tls_cipher_suites;

use kaegis_core::Check;

/// The checks of this area.
pub static CHECKS: &[&dyn Check] = &[
    &anonymous_auth::KubeletAnonymousAuth,
    &authorization_mode::KubeletAuthorizationMode,
    &client_ca::KubeletClientCa,
    &read_only_port::KubeletReadOnlyPort,
    &streaming_idle_timeout::KubeletStreamingIdleTimeout,
    &iptables_util_chains::KubeletIptablesUtilChains,
    &rotate_certificates::KubeletRotateCertificates,
    &protect_kernel_defaults::KubeletProtectKernelDefaults,
    &serving_certificate::KubeletServingCertificate,
    &tls_cipher_suites::KubeletTlsCipherSuites,
    &pod_pids_limit::KubeletPodPidsLimit,
    &seccomp_default::KubeletSeccompDefault,
    &hostname_override::KubeletHostnameOverride,
    &kube_proxy_metrics_bind::KubeProxyMetricsBind,
    &event_qps::KubeletEventQps,
];
