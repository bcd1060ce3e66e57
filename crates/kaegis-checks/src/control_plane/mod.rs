//! Checks of the `control-plane` area: kube-apiserver, kube-controller-manager
//! and kube-scheduler as they run on a control-plane node (`kaegis node`
//! builds the `node.kaegis.dev/v1` objects they read), after the CIS
//! Kubernetes Benchmark's sections 1.2 to 1.4 (and 3.1.1).

pub mod apiserver_always_admit;
pub mod apiserver_always_pull_images;
pub mod apiserver_anonymous_auth;
pub mod apiserver_audit_log_maxage;
pub mod apiserver_audit_log_maxbackup;
pub mod apiserver_audit_log_maxsize;
pub mod apiserver_audit_log_path;
pub mod apiserver_authorization_always_allow;
pub mod apiserver_authorization_node;
pub mod apiserver_authorization_rbac;
pub mod apiserver_client_ca;
pub mod apiserver_deny_external_ips;
pub mod apiserver_encryption_config;
pub mod apiserver_etcd_ca;
pub mod apiserver_etcd_client_cert;
pub mod apiserver_event_rate_limit;
pub mod apiserver_extend_token_expiration;
pub mod apiserver_external_authentication;
pub mod apiserver_insecure_port;
pub mod apiserver_kubelet_ca;
pub mod apiserver_kubelet_client_cert;
pub mod apiserver_namespace_lifecycle;
pub mod apiserver_node_restriction;
pub mod apiserver_profiling;
pub mod apiserver_request_timeout;
pub mod apiserver_service_account_key;
pub mod apiserver_service_account_lookup;
pub mod apiserver_service_account_plugin;
pub mod apiserver_tls;
pub mod apiserver_tls_cipher_suites;
pub mod apiserver_token_auth_file;
pub mod controller_manager_bind_address;
pub mod controller_manager_gc_threshold;
pub mod controller_manager_profiling;
pub mod controller_manager_root_ca;
pub mod controller_manager_rotate_server_cert;
pub mod controller_manager_sa_credentials;
pub mod controller_manager_sa_private_key;
pub mod encryption_providers;
pub mod scheduler_bind_address;
pub mod scheduler_profiling;

use kaegis_core::Check;

/// The checks of this area.
pub static CHECKS: &[&dyn Check] = &[
    &apiserver_anonymous_auth::ApiserverAnonymousAuth,
    &apiserver_token_auth_file::ApiserverTokenAuthFile,
    &apiserver_deny_external_ips::ApiserverDenyExternalIps,
    &apiserver_kubelet_client_cert::ApiserverKubeletClientCert,
    &apiserver_kubelet_ca::ApiserverKubeletCa,
    &apiserver_authorization_always_allow::ApiserverAuthorizationAlwaysAllow,
    &apiserver_authorization_node::ApiserverAuthorizationNode,
    &apiserver_authorization_rbac::ApiserverAuthorizationRbac,
    &apiserver_event_rate_limit::ApiserverEventRateLimit,
    &apiserver_always_admit::ApiserverAlwaysAdmit,
    &apiserver_always_pull_images::ApiserverAlwaysPullImages,
    &apiserver_service_account_plugin::ApiserverServiceAccountPlugin,
    &apiserver_namespace_lifecycle::ApiserverNamespaceLifecycle,
    &apiserver_node_restriction::ApiserverNodeRestriction,
    &apiserver_profiling::ApiserverProfiling,
    &apiserver_audit_log_path::ApiserverAuditLogPath,
    &apiserver_audit_log_maxage::ApiserverAuditLogMaxage,
    &apiserver_audit_log_maxbackup::ApiserverAuditLogMaxbackup,
    &apiserver_audit_log_maxsize::ApiserverAuditLogMaxsize,
    &apiserver_request_timeout::ApiserverRequestTimeout,
    &apiserver_service_account_lookup::ApiserverServiceAccountLookup,
    &apiserver_service_account_key::ApiserverServiceAccountKey,
    &apiserver_etcd_client_cert::ApiserverEtcdClientCert,
    &apiserver_tls::ApiserverTls,
    &apiserver_client_ca::ApiserverClientCa,
    &apiserver_etcd_ca::ApiserverEtcdCa,
    &apiserver_encryption_config::ApiserverEncryptionConfig,
    &apiserver_tls_cipher_suites::ApiserverTlsCipherSuites,
    &apiserver_extend_token_expiration::ApiserverExtendTokenExpiration,
    &apiserver_external_authentication::ApiserverExternalAuthentication,
    &controller_manager_gc_threshold::ControllerManagerGcThreshold,
    &controller_manager_profiling::ControllerManagerProfiling,
    &controller_manager_sa_credentials::ControllerManagerSaCredentials,
    &controller_manager_sa_private_key::ControllerManagerSaPrivateKey,
    &controller_manager_root_ca::ControllerManagerRootCa,
    &controller_manager_rotate_server_cert::ControllerManagerRotateServerCert,
    &controller_manager_bind_address::ControllerManagerBindAddress,
    &scheduler_profiling::SchedulerProfiling,
    &scheduler_bind_address::SchedulerBindAddress,
    &encryption_providers::EncryptionProviders,
    &apiserver_insecure_port::ApiserverInsecurePort,
];
