//! Who is who in audit events: the control plane's own identities, service
//! accounts, anonymous requests.

use crate::event::UserInfo;
use crate::settings::{Settings, any_glob};

/// Service accounts of kube-system that kube-controller-manager runs its
/// controllers as (with `--use-service-account-credentials`), beyond those
/// ending in `-controller`.
const CONTROLLER_ACCOUNTS: &[&str] = &[
    "generic-garbage-collector",
    "horizontal-pod-autoscaler",
    "persistent-volume-binder",
    "pod-garbage-collector",
    "token-cleaner",
    "bootstrap-signer",
    "root-ca-cert-publisher",
    "legacy-service-account-token-cleaner",
    "clusterrole-aggregation-controller",
];

/// True for the control plane's own identities: the API server's loopback
/// client, the controller manager and its controllers' service accounts,
/// the scheduler, kubelets (`system:node:*`, which create mirror pods), and
/// the identities the settings add.
pub fn is_control_plane(user: &UserInfo<'_>, settings: &Settings) -> bool {
    let name = &*user.username;
    matches!(
        name,
        "system:apiserver" | "system:kube-controller-manager" | "system:kube-scheduler"
    ) || name.starts_with("system:node:")
        || name
            .strip_prefix("system:serviceaccount:kube-system:")
            .is_some_and(|sa| sa.ends_with("-controller") || CONTROLLER_ACCOUNTS.contains(&sa))
        || any_glob(&settings.control_plane_users, name)
}

/// The namespace and name of a ServiceAccount user name.
pub fn service_account(username: &str) -> Option<(&str, &str)> {
    username
        .strip_prefix("system:serviceaccount:")?
        .split_once(':')
}

/// True for an unauthenticated request.
pub fn is_anonymous(user: &UserInfo<'_>) -> bool {
    user.username == "system:anonymous" || user.groups.iter().any(|g| g == "system:unauthenticated")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn user(name: &str) -> UserInfo<'static> {
        UserInfo {
            username: Cow::Owned(name.to_owned()),
            groups: Vec::new(),
        }
    }

    #[test]
    fn control_plane_identities() {
        let s = Settings::default();
        for cp in [
            "system:kube-controller-manager",
            "system:node:worker-1",
            "system:serviceaccount:kube-system:replicaset-controller",
            "system:serviceaccount:kube-system:generic-garbage-collector",
        ] {
            assert!(is_control_plane(&user(cp), &s), "{cp}");
        }
        for other in [
            "kubernetes-admin",
            "system:serviceaccount:kube-system:default",
            "system:serviceaccount:web:replicaset-controller",
        ] {
            assert!(!is_control_plane(&user(other), &s), "{other}");
        }
        assert_eq!(
            service_account("system:serviceaccount:web:api"),
            Some(("web", "api"))
        );
    }
}
