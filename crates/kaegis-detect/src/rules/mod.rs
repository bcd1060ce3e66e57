//! The built-in rules, one file each. Codes group by MITRE tactic: KD1xx
//! execution, KD2xx persistence, KD3xx privilege escalation, KD4xx
//! credential access, KD5xx defense evasion and initial access.

use crate::rule::Rule;

pub mod admin_binding;
pub mod admission_control_tampered;
pub mod anonymous_request;
pub mod auth_brute_force;
pub mod configmap_credentials;
pub mod csr_system_masters;
pub mod ephemeral_container;
pub mod exec_outside_cluster;
pub mod impersonation;
pub mod kube_system_workload;
pub mod node_proxy_access;
pub mod permissive_clusterrole;
pub mod pod_exec;
pub mod pod_port_forward;
pub mod privileged_workload;
pub mod secret_read_unusual;
pub mod security_namespace_deleted;
pub mod service_exposed;
pub mod serviceaccount_token_request;
pub mod system_rbac_modified;
pub mod untrusted_source_ip;
pub mod workload;

/// Every built-in rule, in code order.
pub fn builtin() -> Vec<Box<dyn Rule>> {
    let mut rules: Vec<Box<dyn Rule>> = vec![
        Box::new(pod_exec::PodExec),
        Box::new(pod_port_forward::PodPortForward),
        Box::new(ephemeral_container::EphemeralContainer),
        Box::new(node_proxy_access::NodeProxyAccess),
        Box::new(exec_outside_cluster::ExecOutsideCluster),
        Box::new(kube_system_workload::KubeSystemWorkload),
        Box::new(service_exposed::ServiceExposed),
        Box::new(system_rbac_modified::SystemRbacModified),
        Box::new(permissive_clusterrole::PermissiveClusterRole),
        Box::new(admin_binding::AdminBinding),
        Box::new(privileged_workload::PrivilegedWorkload),
        Box::new(impersonation::Impersonation),
        Box::new(csr_system_masters::CsrSystemMasters),
        Box::new(secret_read_unusual::SecretReadUnusual),
        Box::new(configmap_credentials::ConfigMapCredentials),
        Box::new(serviceaccount_token_request::ServiceAccountTokenRequest),
        Box::new(anonymous_request::AnonymousRequest),
        Box::new(auth_brute_force::AuthBruteForce),
        Box::new(admission_control_tampered::AdmissionControlTampered),
        Box::new(security_namespace_deleted::SecurityNamespaceDeleted),
        Box::new(untrusted_source_ip::UntrustedSourceIp),
    ];
    rules.sort_by_key(|r| r.meta().code);
    rules
}

/// The built-in rule with this slug or code (any case), if any.
pub fn find(name: &str) -> Option<Box<dyn Rule>> {
    builtin()
        .into_iter()
        .find(|r| r.meta().slug == name || r.meta().code.eq_ignore_ascii_case(name))
}
