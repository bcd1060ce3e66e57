//! `kaegis cluster` against a real kube-apiserver + etcd (kaegis-testcluster):
//! objects created through the API, audited live and from a dump, with
//! controller-owned objects rolled up to their owner, Secrets read as
//! metadata only, and kinds the caller may not list reported as not audited.

use std::collections::BTreeSet;
use std::process::Command;

use kaegis_testcluster::TestCluster;
use serde_json::Value;

fn kaegis() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kaegis"))
}

/// `(kind/name, check code)` of the findings in one namespace.
fn findings_in(report: &Value, ns: &str) -> BTreeSet<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["object"]["namespace"] == ns)
        .map(|f| {
            (
                format!(
                    "{}/{}",
                    f["object"]["kind"].as_str().unwrap(),
                    f["object"]["name"].as_str().unwrap()
                ),
                f["check"]["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

const PRIVILEGED_SPEC: &str = "containers:\n      - name: app\n        image: registry.example.com/app:1.0\n        securityContext:\n          privileged: true";

#[test]
fn audits_a_live_cluster_and_its_dump() {
    let Some(k8s) = TestCluster::shared_or_skip() else {
        return;
    };
    let ns = k8s.create_namespace("audit");
    k8s.kubectl_apply_ok(&format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      {PRIVILEGED_SPEC}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: root\n  namespace: {ns}\nspec:\n  containers:\n  - name: app\n    image: registry.example.com/app:1.0\n    securityContext:\n      privileged: true\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: {ns}\nstringData:\n  password: hunter2-s3cr3t-value\n"
    ));
    // No controller-manager runs: make the ReplicaSet and Pod a Deployment
    // would own, with their owner references.
    let uid = k8s.kubectl_ok(&[
        "get",
        "deployment",
        "web",
        "-n",
        &ns,
        "-o",
        "jsonpath={.metadata.uid}",
    ]);
    k8s.kubectl_apply_ok(&format!(
        "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web-5d8f\n  namespace: {ns}\n  ownerReferences:\n  - {{apiVersion: apps/v1, kind: Deployment, name: web, uid: {uid}, controller: true}}\nspec:\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      {PRIVILEGED_SPEC}\n"
    ));
    let rs_uid = k8s.kubectl_ok(&[
        "get",
        "replicaset",
        "web-5d8f",
        "-n",
        &ns,
        "-o",
        "jsonpath={.metadata.uid}",
    ]);
    k8s.kubectl_apply_ok(&format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-5d8f-x2k\n  namespace: {ns}\n  labels: {{app: web}}\n  ownerReferences:\n  - {{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8f, uid: {rs_uid}, controller: true}}\nspec:\n  containers:\n  - name: app\n    image: registry.example.com/app:1.0\n    securityContext:\n      privileged: true\n"
    ));

    // Live: the owner and the unowned pod are reported, not the controlled
    // ReplicaSet and Pod.
    let out = kaegis()
        .arg("cluster")
        .arg("--kubeconfig")
        .arg(k8s.kubeconfig())
        .args([
            "--no-config",
            "--profile",
            "pss-baseline",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected: BTreeSet<(String, String)> = [
        ("Deployment/web".to_owned(), "KG103".to_owned()),
        ("Pod/root".to_owned(), "KG103".to_owned()),
    ]
    .into();
    assert_eq!(findings_in(&report, &ns), expected);
    assert!(!stderr.contains("not audited"), "{stderr}");

    // The server's own version is judged (v1.37.2: supported and patched).
    let out = kaegis()
        .arg("cluster")
        .arg("--kubeconfig")
        .arg(k8s.kubeconfig())
        .args([
            "--no-config",
            "--profile",
            "pss-baseline",
            "--enable",
            "kubernetes-version",
            "--format",
            "junit",
            "--fail-on",
            "never",
        ])
        .output()
        .unwrap();
    let junit = String::from_utf8_lossy(&out.stdout);
    assert!(
        junit.contains(
            "name=\"KG951 kubernetes-version\" classname=\"ClusterVersion cluster\" time=\"0\"/>"
        ),
        "{junit}"
    );

    // Every check: still nothing of the Secret's data anywhere.
    let out = kaegis()
        .arg("cluster")
        .arg("--kubeconfig")
        .arg(k8s.kubeconfig())
        .args([
            "--no-config",
            "--profile",
            "all",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("hunter2"),
        "Secret data leaked into the report"
    );
    let all: Value = serde_json::from_str(&text).unwrap();
    assert!(
        all["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["object"]["kind"] == "Namespace" && f["object"]["name"] == ns.as_str()),
        "namespace-level checks speak on a complete inventory"
    );

    // A dump of the same objects gives the same findings, offline.
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("dump.yaml");
    let yaml = k8s.kubectl_ok(&[
        "get",
        "deployments,replicasets,pods",
        "-n",
        &ns,
        "-o",
        "yaml",
    ]);
    std::fs::write(&dump, yaml).unwrap();
    let out = kaegis()
        .args([
            "cluster",
            "--no-config",
            "--profile",
            "pss-baseline",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--from",
        ])
        .arg(&dump)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let offline: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(findings_in(&offline, &ns), expected);

    // A caller who may list pods in one namespace only: every cluster-wide
    // list is refused, reported as not audited, and the audit still ends.
    k8s.kubectl_apply_ok(&format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: narrow\n  namespace: {ns}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: pods\n  namespace: {ns}\nrules:\n- apiGroups: [\"\"]\n  resources: [pods]\n  verbs: [list]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: narrow\n  namespace: {ns}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: pods}}\nsubjects:\n- {{kind: ServiceAccount, name: narrow, namespace: {ns}}}\n"
    ));
    let token = k8s.token_for_service_account(&ns, "narrow");
    let narrow = k8s.kubeconfig_with_token(&token);
    let out = kaegis()
        .arg("cluster")
        .arg("--kubeconfig")
        .arg(&narrow)
        .args(["--no-config", "--format", "json", "--fail-on", "never"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("not audited: pods: forbidden"), "{stderr}");
    assert!(
        stderr.contains("not audited: secrets: forbidden"),
        "{stderr}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Only /version, which every authenticated user may read, was audited.
    assert_eq!(v["summary"]["objects"], 1);
}

#[test]
fn rbac_questions_and_takeover_power_from_the_live_cluster() {
    let Some(k8s) = TestCluster::shared_or_skip() else {
        return;
    };
    let ns = k8s.create_namespace("rbac");
    k8s.kubectl_apply_ok(&format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ci\n  namespace: {ns}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: nobody\n  namespace: {ns}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {ns}-secrets\nrules:\n- apiGroups: [\"\"]\n  resources: [secrets]\n  verbs: [get, list]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {ns}-ci-secrets\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {ns}-secrets}}\nsubjects:\n- {{kind: ServiceAccount, name: ci, namespace: {ns}}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: settings\n  namespace: {ns}\nrules:\n- apiGroups: [\"\"]\n  resources: [configmaps]\n  verbs: [get]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: accounts-settings\n  namespace: {ns}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: settings}}\nsubjects:\n- {{kind: Group, name: system:serviceaccounts:{ns}}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ci\n  namespace: {ns}\nspec:\n  selector:\n    matchLabels: {{app: ci}}\n  template:\n    metadata:\n      labels: {{app: ci}}\n    spec:\n      serviceAccountName: ci\n      containers:\n      - name: app\n        image: registry.example.com/ci:1.0\n"
    ));
    let kubeconfig = k8s.kubeconfig().to_str().unwrap().to_owned();
    let run = |args: &[&str]| {
        let out = kaegis()
            .args(args)
            .args(["--cluster", "--kubeconfig", &kubeconfig])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        String::from_utf8(out.stdout).unwrap()
    };

    // What the account may do: its own binding, its namespace group's, and
    // the defaults every authenticated client has (system:discovery…). (No
    // controller-manager runs, so aggregated roles such as view stay empty.)
    let subject = format!("system:serviceaccount:{ns}:ci");
    let perms: Value =
        serde_json::from_str(&run(&["rbac", "permissions", &subject, "--format", "json"])).unwrap();
    assert_eq!(perms["subject"], format!("ServiceAccount {ns}/ci"));
    let grants: BTreeSet<(String, String, String)> = perms["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["namespace"].as_str().unwrap_or("cluster-wide").to_owned(),
                format!(
                    "{} → {}",
                    r["binding"].as_str().unwrap(),
                    r["role"].as_str().unwrap()
                ),
                r["viaGroup"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    for expected in [
        (
            "cluster-wide".to_owned(),
            format!("ClusterRoleBinding {ns}-ci-secrets → ClusterRole {ns}-secrets"),
            String::new(),
        ),
        (
            ns.clone(),
            format!("RoleBinding {ns}/accounts-settings → Role settings"),
            format!("system:serviceaccounts:{ns}"),
        ),
        (
            "cluster-wide".to_owned(),
            "ClusterRoleBinding system:discovery → ClusterRole system:discovery".to_owned(),
            "system:authenticated".to_owned(),
        ),
    ] {
        assert!(
            grants.contains(&expected),
            "{expected:?} not in {grants:#?}"
        );
    }
    assert!(
        grants.iter().all(|(_, g, _)| !g.contains("cluster-admin")),
        "{grants:#?}"
    );
    let table = run(&["rbac", "permissions", &format!("serviceaccount:{ns}:ci")]);
    assert!(
        table.lines().any(|l| l.starts_with("secrets ")
            && l.ends_with(&format!(
                "cluster-wide  ClusterRoleBinding {ns}-ci-secrets → ClusterRole {ns}-secrets"
            ))),
        "{table}"
    );

    // Who may list Secrets cluster-wide: the account, and system:masters
    // through cluster-admin.
    let who: Value = serde_json::from_str(&run(&[
        "rbac", "who-can", "list", "secrets", "--format", "json",
    ]))
    .unwrap();
    let subjects: Vec<&str> = who["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["subject"].as_str().unwrap())
        .collect();
    assert!(
        subjects.contains(&format!("ServiceAccount {ns}/ci").as_str()),
        "{subjects:?}"
    );
    assert!(subjects.contains(&"Group system:masters"), "{subjects:?}");

    // The audit reports the Deployment whose account reads every Secret.
    let out = kaegis()
        .arg("cluster")
        .arg("--kubeconfig")
        .arg(k8s.kubeconfig())
        .args([
            "--no-config",
            "--profile",
            "all",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let takeover: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"]["code"] == "KG418" && f["object"]["namespace"] == ns.as_str())
        .collect();
    assert_eq!(takeover.len(), 1, "{takeover:#?}");
    assert_eq!(takeover[0]["object"]["name"], "ci");
    assert_eq!(
        takeover[0]["message"],
        format!(
            "pods run as ServiceAccount {ns}/ci and hold its token, which can take over the cluster: read Secrets cluster-wide (ClusterRoleBinding {ns}-ci-secrets → ClusterRole {ns}-secrets); whoever runs code in one of them has these powers"
        )
    );

    // A caller who may not list the RBAC objects gets an error, not a
    // silently partial answer.
    let token = k8s.token_for_service_account(&ns, "nobody");
    let nobody = k8s.kubeconfig_with_token(&token);
    let out = kaegis()
        .args(["rbac", "permissions", &subject, "--cluster", "--kubeconfig"])
        .arg(&nobody)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot read the cluster's RBAC, so the answer would be incomplete: not read: roles.rbac.authorization.k8s.io: forbidden"),
        "{stderr}"
    );
}
