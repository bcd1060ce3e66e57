//! `kaegis rbac permissions`: a subject's effective permissions from
//! manifests, through the real binary (the live-cluster form is in
//! `cluster_e2e.rs`).

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn kaegis(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("kaegis").unwrap();
    c.current_dir(dir);
    c
}

const RBAC: &str = "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
- apiGroups: [\"\"]
  resources: [secrets]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: api-reads-secrets}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects:
- {kind: ServiceAccount, name: api, namespace: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: settings, namespace: shop}
rules:
- apiGroups: [\"\"]
  resources: [configmaps]
  resourceNames: [shop-settings]
  verbs: [get, update]
- apiGroups: [apps, batch]
  resources: [deployments, jobs]
  verbs: [list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: api-settings, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: settings}
subjects:
- {kind: ServiceAccount, name: api}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: health}
rules:
- nonResourceURLs: [/healthz, /readyz]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone-health}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: health}
subjects:
- {kind: Group, name: system:authenticated}
- {kind: Group, name: system:unauthenticated}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: shop-accounts-view, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: Group, name: system:serviceaccounts:shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: api-legacy, namespace: web}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: gone}
subjects:
- {kind: User, name: system:serviceaccount:shop:api}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs-edit, namespace: web}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
- {kind: Group, name: developers}
- {kind: User, name: alice}
";

fn dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rbac.yaml"), RBAC).unwrap();
    dir
}

fn stdout(dir: &Path, args: &[&str]) -> String {
    let out = kaegis(dir).args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_service_accounts_permissions_come_from_its_bindings_and_its_groups() {
    let dir = dir();
    let expected = "\
ServiceAccount shop/api (user system:serviceaccount:shop:api), in groups system:serviceaccounts, system:serviceaccounts:shop, system:authenticated may:
RESOURCES                                                               VERBS             WHERE         GRANTED VIA
secrets                                                                 get, list         cluster-wide  ClusterRoleBinding api-reads-secrets → ClusterRole secret-reader
/healthz, /readyz                                                       get               cluster-wide  ClusterRoleBinding everyone-health → ClusterRole health (via group system:authenticated)
configmaps (only shop-settings)                                         get, update       shop          RoleBinding shop/api-settings → Role settings
deployments.apps, deployments.batch, jobs.apps, jobs.batch              list              shop          RoleBinding shop/api-settings → Role settings
pods, configmaps, services, serviceaccounts, persistentvolumeclaims     get, list, watch  shop          RoleBinding shop/shop-accounts-view → ClusterRole view (via group system:serviceaccounts:shop)
deployments.apps, statefulsets.apps, daemonsets.apps, replicasets.apps  get, list, watch  shop          RoleBinding shop/shop-accounts-view → ClusterRole view (via group system:serviceaccounts:shop)
jobs.batch, cronjobs.batch                                              get, list, watch  shop          RoleBinding shop/shop-accounts-view → ClusterRole view (via group system:serviceaccounts:shop)
unknown: RoleBinding web/api-legacy → Role gone is not in the manifests: what it grants is not counted
";
    for subject in [
        "serviceaccount:shop:api",
        "system:serviceaccount:shop:api",
        "user:system:serviceaccount:shop:api",
    ] {
        assert_eq!(
            stdout(dir.path(), &["rbac", "permissions", subject, "rbac.yaml"]),
            expected,
            "{subject}"
        );
    }
}

#[test]
fn users_and_groups_and_one_namespace() {
    let dir = dir();
    assert_eq!(
        stdout(dir.path(), &["rbac", "permissions", "user:alice", "rbac.yaml", "-n", "shop"]),
        "\
User alice, in groups system:authenticated may in namespace shop:
RESOURCES          VERBS  WHERE         GRANTED VIA
/healthz, /readyz  get    cluster-wide  ClusterRoleBinding everyone-health → ClusterRole health (via group system:authenticated)
(the user's other groups come from how it signs in and are not counted; members of system:masters may do everything)
"
    );
    let web = stdout(
        dir.path(),
        &[
            "rbac",
            "permissions",
            "user:alice",
            "rbac.yaml",
            "-n",
            "web",
        ],
    );
    assert!(
        web.contains("  web           RoleBinding web/devs-edit → ClusterRole edit\n"),
        "{web}"
    );
    assert_eq!(
        stdout(
            dir.path(),
            &["rbac", "permissions", "group:nobody", "rbac.yaml"]
        ),
        "\
Group nobody: no binding in the manifests grants it anything
(members also hold what is granted to themselves and to their other groups)
"
    );
    let anonymous = stdout(
        dir.path(),
        &["rbac", "permissions", "user:system:anonymous", "rbac.yaml"],
    );
    assert!(
        anonymous.starts_with("User system:anonymous, in groups system:unauthenticated may:\n"),
        "{anonymous}"
    );
    assert!(
        anonymous.contains("(via group system:unauthenticated)"),
        "{anonymous}"
    );
}

#[test]
fn permissions_as_json() {
    let dir = dir();
    let out = stdout(
        dir.path(),
        &[
            "rbac",
            "permissions",
            "serviceaccount:shop:api",
            "rbac.yaml",
            "--format",
            "json",
            "-n",
            "shop",
        ],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["subject"], "ServiceAccount shop/api");
    assert_eq!(v["user"], "system:serviceaccount:shop:api");
    assert_eq!(v["namespace"], "shop");
    let rules = v["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 7);
    assert_eq!(
        rules[0],
        serde_json::json!({
            "apiGroups": [""],
            "resources": ["secrets"],
            "verbs": ["get", "list"],
            "resourceNames": [],
            "nonResourceURLs": [],
            "namespace": null,
            "binding": "ClusterRoleBinding api-reads-secrets",
            "role": "ClusterRole secret-reader",
            "viaGroup": null,
        })
    );
    assert_eq!(
        rules[2]["resourceNames"],
        serde_json::json!(["shop-settings"])
    );
    assert_eq!(rules[4]["viaGroup"], "system:serviceaccounts:shop");
    // The dangling binding is in another namespace.
    assert_eq!(v["unknownRoles"], serde_json::json!([]));
}

#[test]
fn subjects_and_sources_are_checked() {
    let dir = dir();
    kaegis(dir.path())
        .args(["rbac", "permissions", "alice", "rbac.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`alice` is not a subject: write serviceaccount:NAMESPACE:NAME, system:serviceaccount:NAMESPACE:NAME, user:NAME or group:NAME",
        ));
    kaegis(dir.path())
        .args([
            "rbac",
            "permissions",
            "serviceaccount:shop/api",
            "rbac.yaml",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a subject"));
    // Manifests or a cluster, not both, and one of them.
    kaegis(dir.path())
        .args(["rbac", "permissions", "user:alice"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("<PATH>"));
    kaegis(dir.path())
        .args(["rbac", "who-can", "get", "pods", "rbac.yaml", "--cluster"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
    kaegis(dir.path())
        .args([
            "rbac",
            "who-can",
            "get",
            "pods",
            "rbac.yaml",
            "--context",
            "x",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--kubeconfig and --context choose the cluster that --cluster reads: add --cluster",
        ));
    // No cluster to read: a clear error, exit 2.
    kaegis(dir.path())
        .env("KUBECONFIG", dir.path().join("missing"))
        .env_remove("KUBERNETES_SERVICE_HOST")
        .args([
            "rbac",
            "who-can",
            "get",
            "pods",
            "--cluster",
            "--kubeconfig",
        ])
        .arg(dir.path().join("missing"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read the kubeconfig"));
}
