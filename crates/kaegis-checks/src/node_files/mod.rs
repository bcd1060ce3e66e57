//! File checks of a node (CIS Kubernetes Benchmark sections 1.1 and 4.1):
//! permissions and ownership of the manifests, kubeconfigs, PKI, kubelet
//! files and etcd's data, read from the `node.kaegis.dev/v1` `NodeFile`
//! objects `kaegis node` builds. Each check belongs to the area of the
//! component whose file it judges.

pub mod admin_kubeconfig_ownership;
pub mod admin_kubeconfig_permissions;
pub mod apiserver_manifest_ownership;
pub mod apiserver_manifest_permissions;
pub mod cni_config_ownership;
pub mod cni_config_permissions;
pub mod controller_manager_kubeconfig_ownership;
pub mod controller_manager_kubeconfig_permissions;
pub mod controller_manager_manifest_ownership;
pub mod controller_manager_manifest_permissions;
pub mod etcd_data_dir_ownership;
pub mod etcd_data_dir_permissions;
pub mod etcd_manifest_ownership;
pub mod etcd_manifest_permissions;
pub mod kubelet_ca_ownership;
pub mod kubelet_ca_permissions;
pub mod kubelet_config_ownership;
pub mod kubelet_config_permissions;
pub mod kubelet_kubeconfig_ownership;
pub mod kubelet_kubeconfig_permissions;
pub mod kubelet_service_ownership;
pub mod kubelet_service_permissions;
pub mod pki_cert_permissions;
pub mod pki_key_permissions;
pub mod pki_ownership;
pub mod proxy_kubeconfig_ownership;
pub mod proxy_kubeconfig_permissions;
pub mod scheduler_kubeconfig_ownership;
pub mod scheduler_kubeconfig_permissions;
pub mod scheduler_manifest_ownership;
pub mod scheduler_manifest_permissions;

use kaegis_core::Check;

/// The checks of this folder.
pub static CHECKS: &[&dyn Check] = &[
    &apiserver_manifest_permissions::ApiserverManifestPermissions,
    &apiserver_manifest_ownership::ApiserverManifestOwnership,
    &controller_manager_manifest_permissions::ControllerManagerManifestPermissions,
    &controller_manager_manifest_ownership::ControllerManagerManifestOwnership,
    &scheduler_manifest_permissions::SchedulerManifestPermissions,
    &scheduler_manifest_ownership::SchedulerManifestOwnership,
    &etcd_manifest_permissions::EtcdManifestPermissions,
    &etcd_manifest_ownership::EtcdManifestOwnership,
    &cni_config_permissions::CniConfigPermissions,
    &cni_config_ownership::CniConfigOwnership,
    &etcd_data_dir_permissions::EtcdDataDirPermissions,
    &etcd_data_dir_ownership::EtcdDataDirOwnership,
    &admin_kubeconfig_permissions::AdminKubeconfigPermissions,
    &admin_kubeconfig_ownership::AdminKubeconfigOwnership,
    &scheduler_kubeconfig_permissions::SchedulerKubeconfigPermissions,
    &scheduler_kubeconfig_ownership::SchedulerKubeconfigOwnership,
    &controller_manager_kubeconfig_permissions::ControllerManagerKubeconfigPermissions,
    &controller_manager_kubeconfig_ownership::ControllerManagerKubeconfigOwnership,
    &kubelet_service_permissions::KubeletServicePermissions,
    &kubelet_service_ownership::KubeletServiceOwnership,
    &proxy_kubeconfig_permissions::ProxyKubeconfigPermissions,
    &proxy_kubeconfig_ownership::ProxyKubeconfigOwnership,
    &kubelet_kubeconfig_permissions::KubeletKubeconfigPermissions,
    &kubelet_kubeconfig_ownership::KubeletKubeconfigOwnership,
    &kubelet_ca_permissions::KubeletCaPermissions,
    &kubelet_ca_ownership::KubeletCaOwnership,
    &kubelet_config_permissions::KubeletConfigPermissions,
    &kubelet_config_ownership::KubeletConfigOwnership,
    &pki_ownership::PkiOwnership,
    &pki_cert_permissions::PkiCertPermissions,
    &pki_key_permissions::PkiKeyPermissions,
];
