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

/// `kaegis cluster --kubeconfig KUBECONFIG --no-config --fail-on never ARGS`.
fn audit(kubeconfig: &std::path::Path, args: &[&str]) -> std::process::Output {
    kaegis()
        .arg("cluster")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["--no-config", "--fail-on", "never"])
        .args(args)
        .output()
        .unwrap()
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

/// A Deployment that meets the restricted Pod Security Standard.
const HARDENED: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      securityContext:\n        runAsNonRoot: true\n        seccompProfile: {type: RuntimeDefault}\n      containers:\n      - name: app\n        image: registry.example.com/api:1.0\n        securityContext:\n          allowPrivilegeEscalation: false\n          capabilities: {drop: [ALL]}\n";

const PRIVILEGED_SPEC: &str = "containers:\n      - name: app\n        image: registry.example.com/app:1.0\n        securityContext:\n          privileged: true";

#[test]
fn audits_a_live_cluster_and_its_dump() {
    let Some(k8s) = TestCluster::shared_or_skip() else {
        return;
    };
    let ns = k8s.create_namespace("audit");
    k8s.kubectl_apply_ok(&format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      {PRIVILEGED_SPEC}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: root\n  namespace: {ns}\nspec:\n  containers:\n  - name: app\n    image: registry.example.com/app:1.0\n    securityContext:\n      privileged: true\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: {ns}\nstringData:\n  password: hunter2-s3cr3t-value\n---\n{}",
        HARDENED.replace("name: api\n", &format!("name: api\n  namespace: {ns}\n"))
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
    let out = audit(
        k8s.kubeconfig(),
        &["--profile", "pss-baseline", "--format", "json"],
    );
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

    // Restricted: the hardened Deployment passes, the others do not.
    let out = audit(
        k8s.kubeconfig(),
        &["--profile", "pss-restricted", "--format", "json"],
    );
    let restricted: Value = serde_json::from_slice(&out.stdout).unwrap();
    let objects: BTreeSet<String> = findings_in(&restricted, &ns)
        .into_iter()
        .map(|(o, _)| o)
        .collect();
    assert_eq!(
        objects,
        ["Deployment/web".to_owned(), "Pod/root".to_owned()].into()
    );

    // For people: grouped by namespace, each finding at its path in the
    // object (a live object has no file and no line).
    let out = audit(k8s.kubeconfig(), &["--profile", "pss-baseline"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let section = text
        .split(&format!("namespace {ns}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("no section for {ns}: {text}"));
    let section = section.split("\n\n").next().unwrap();
    let lines: Vec<&str> = section
        .lines()
        .filter(|l| !l.trim_start().starts_with("HIGH") && !l.trim_start().starts_with("CRITICAL"))
        .map(str::trim)
        .collect();
    assert_eq!(
        lines,
        [
            format!("Deployment {ns}/web"),
            "at spec.template.spec.containers[0].securityContext.privileged".to_owned(),
            format!("Pod {ns}/root"),
            "at spec.containers[0].securityContext.privileged".to_owned(),
        ],
        "{section}"
    );
    assert!(!text.contains("<no file>"));

    // The server's own version is judged (v1.37.2: supported and patched).
    let out = audit(
        k8s.kubeconfig(),
        &[
            "--profile",
            "pss-baseline",
            "--enable",
            "kubernetes-version",
            "--format",
            "junit",
        ],
    );
    let junit = String::from_utf8_lossy(&out.stdout);
    assert!(
        junit.contains(
            "name=\"KG951 kubernetes-version\" classname=\"ClusterVersion cluster\" time=\"0\"/>"
        ),
        "{junit}"
    );

    // Every check: still nothing of the Secret's data anywhere.
    let out = audit(k8s.kubeconfig(), &["--profile", "all", "--format", "json"]);
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
    let out = audit(&narrow, &["--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("not audited: pods: forbidden"), "{stderr}");
    assert!(
        stderr.contains("not audited: secrets: forbidden"),
        "{stderr}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Only /version, which every authenticated user may read, and the
    // anonymous probe's record were audited.
    assert_eq!(v["summary"]["objects"], 2);
}

fn deploy(path: &str) -> String {
    format!("{}/../../deploy/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// The PolicyReport (`kaegis-<ns>`) of namespace `ns`, or `None`.
fn policy_report(k8s: &TestCluster, ns: &str) -> Option<Value> {
    let out = k8s.kubectl(&[
        "get",
        "policyreports.wgpolicyk8s.io",
        &format!("kaegis-{ns}"),
        "-n",
        ns,
        "-o",
        "json",
    ]);
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).unwrap())
}

/// `(policy, kind/name)` of a PolicyReport's results.
fn results(report: &Value) -> BTreeSet<(String, String)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let res = &r["resources"][0];
            (
                r["policy"].as_str().unwrap().to_owned(),
                format!(
                    "{}/{}",
                    res["kind"].as_str().unwrap(),
                    res["name"].as_str().unwrap()
                ),
            )
        })
        .collect()
}

fn privileged_pod(ns: &str, name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  containers:\n  - name: app\n    image: registry.example.com/app:1.0\n    securityContext:\n      privileged: true\n"
    )
}

/// The shipped CronJob's identity (deploy/cronjob): it lists every kind the
/// audit needs and finds what an administrator finds, cannot read Secret
/// data, and publishes PolicyReports that a second run updates and cleans up.
#[test]
fn cronjob_identity_audits_and_writes_reports() {
    let Some(k8s) = TestCluster::shared_or_skip() else {
        return;
    };
    k8s.kubectl_ok(&["apply", "-f", &deploy("cronjob/crds/policyreports.yaml")]);
    k8s.kubectl_ok(&[
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/policyreports.wgpolicyk8s.io",
        "crd/clusterpolicyreports.wgpolicyk8s.io",
    ]);
    k8s.kubectl_ok(&["apply", "-f", &deploy("cronjob/")]);
    let token = k8s.token_for_service_account("kaegis-audit", "kaegis-audit");
    let audit = k8s.kubeconfig_with_token(&token);

    // It may list every kind the audit reads, and not Secrets.
    for kind in kaegis_cluster::fetch::KINDS {
        let resource = if kind.group.is_empty() {
            kind.plural.to_owned()
        } else {
            format!("{}.{}", kind.plural, kind.group)
        };
        let out = k8s.kubectl_as(&audit, &["auth", "can-i", "list", &resource, "-A"]);
        let answer = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let want = if kind.plural == "secrets" {
            "no"
        } else {
            "yes"
        };
        assert_eq!(answer, want, "can the audit list {resource}?");
    }
    for verb in ["get", "watch"] {
        let out = k8s.kubectl_as(&audit, &["auth", "can-i", verb, "secrets", "-A"]);
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "no", "{verb}");
    }

    let ns = k8s.create_namespace("reports");
    let gone = k8s.create_namespace("reports-gone");
    k8s.kubectl_apply_ok(&format!(
        "{}---\n{}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: {ns}\nstringData:\n  password: correct-horse-battery\n",
        privileged_pod(&ns, "root"),
        privileged_pod(&gone, "root")
    ));
    let out = k8s.kubectl_as(&audit, &["get", "secret", "db", "-n", &ns, "-o", "yaml"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("forbidden"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let run = |kubeconfig: &std::path::Path, write: bool| {
        let mut cmd = kaegis();
        cmd.arg("cluster")
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args([
                "--no-config",
                "--profile",
                "pss-baseline",
                "--format",
                "json",
                "--fail-on",
                "never",
            ]);
        if write {
            cmd.arg("--write-reports");
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        (report, stderr)
    };

    // As the audit's identity: the same findings as an administrator's
    // audit; only Secrets are not audited, and their data is nowhere.
    let (as_audit, stderr) = run(&audit, true);
    let not_audited: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("not audited"))
        .collect();
    assert_eq!(not_audited.len(), 1, "{stderr}");
    assert!(not_audited[0].contains("not audited: secrets: forbidden"));
    assert!(stderr.contains("wrote "), "{stderr}");
    let (as_admin, _) = run(k8s.kubeconfig(), false);
    let expected: BTreeSet<(String, String)> = [("Pod/root".to_owned(), "KG103".to_owned())].into();
    assert_eq!(findings_in(&as_audit, &ns), expected);
    assert_eq!(findings_in(&as_admin, &ns), expected);
    assert!(!as_audit.to_string().contains("correct-horse"));

    // The reports: one per namespace with findings, labelled as this
    // audit's, each result naming the check and the object.
    let first = policy_report(k8s, &ns).expect("a PolicyReport for the namespace");
    assert_eq!(
        first["metadata"]["labels"]["kaegis.dev/source"],
        "cluster-audit"
    );
    assert_eq!(
        first["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "kaegis"
    );
    assert_eq!(first["summary"]["fail"], 1);
    assert_eq!(
        results(&first),
        [("privileged".to_owned(), "Pod/root".to_owned())].into()
    );
    assert!(policy_report(k8s, &gone).is_some());

    // Things change: the pod is replaced by another, and the other
    // namespace's only finding goes away.
    k8s.kubectl_ok(&["delete", "pod", "root", "-n", &ns, "--wait=false"]);
    k8s.kubectl_ok(&["delete", "pod", "root", "-n", &gone, "--wait=false"]);
    k8s.kubectl_apply_ok(&privileged_pod(&ns, "root-2"));
    let (_, stderr) = run(&audit, true);
    assert!(stderr.contains("deleted "), "{stderr}");
    let second = policy_report(k8s, &ns).expect("the PolicyReport is still there");
    assert_eq!(
        results(&second),
        [("privileged".to_owned(), "Pod/root-2".to_owned())].into()
    );
    assert_eq!(
        first["metadata"]["uid"], second["metadata"]["uid"],
        "updated in place"
    );
    assert_ne!(
        first["metadata"]["resourceVersion"],
        second["metadata"]["resourceVersion"]
    );
    assert!(
        policy_report(k8s, &gone).is_none(),
        "the stale report of {gone} is deleted"
    );
}

/// `kaegis cluster` with only the anonymous-access check, as JSON.
fn anonymous_findings(kubeconfig: &std::path::Path) -> (BTreeSet<String>, String) {
    let json = format!(
        "json={}",
        kubeconfig.with_extension("report.json").display()
    );
    let out = audit(
        kubeconfig,
        &[
            "--profile",
            "pss-baseline",
            "--enable",
            "anonymous-api-access",
            "--format",
            "junit",
            "--format",
            &json,
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let junit = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        junit.contains("classname=\"AnonymousAccess cluster\""),
        "the probe's record was checked: {junit}\n{stderr}"
    );
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(kubeconfig.with_extension("report.json")).unwrap(),
    )
    .unwrap();
    let paths = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"]["code"] == "KG953")
        .map(|f| {
            let m = f["message"].as_str().unwrap();
            m.split("GET ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    (paths, stderr)
}

/// A ClusterRole that lets unauthenticated clients read pods, Secrets,
/// namespaces and the metrics.
const ANONYMOUS_READ: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: anonymous-read\nrules:\n- apiGroups: [\"\"]\n  resources: [pods, secrets, namespaces]\n  verbs: [get, list]\n- nonResourceURLs: [/metrics]\n  verbs: [get]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: anonymous-read\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: anonymous-read}\nsubjects:\n- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:unauthenticated}\n";

/// What a client without credentials can read, asked of real API servers:
/// the default (RBAC, anonymous authentication on) exposes nothing beyond
/// health and version; a binding to `system:unauthenticated` exposes what
/// it grants, exactly; with anonymous authentication off every request is
/// refused, whatever the bindings say.
#[test]
fn anonymous_access_is_probed() {
    let Some(k8s) = TestCluster::shared_or_skip() else {
        return;
    };
    let (paths, stderr) = anonymous_findings(k8s.kubeconfig());
    assert!(paths.is_empty(), "{paths:?}");
    assert!(!stderr.contains("not audited"), "{stderr}");

    let Some(open) = TestCluster::builder().start_or_skip() else {
        return;
    };
    open.kubectl_apply_ok(ANONYMOUS_READ);
    let (paths, _) = anonymous_findings(open.kubeconfig());
    let expected: BTreeSet<String> = [
        "/api/v1/namespaces?limit=1",
        "/api/v1/pods?limit=1",
        "/api/v1/secrets?limit=1",
        "/api/v1/namespaces/kube-system/secrets?limit=1",
        "/metrics",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    assert_eq!(paths, expected);
    drop(open);

    let Some(closed) = TestCluster::builder()
        .apiserver_arg("--anonymous-auth=false")
        .start_or_skip()
    else {
        return;
    };
    closed.kubectl_apply_ok(ANONYMOUS_READ);
    let (paths, _) = anonymous_findings(closed.kubeconfig());
    assert!(paths.is_empty(), "{paths:?}");
    // Opting out: no probe, no record.
    let out = audit(
        closed.kubeconfig(),
        &[
            "--enable",
            "anonymous-api-access",
            "--no-anonymous-probe",
            "--format",
            "junit",
        ],
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("AnonymousAccess"));
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
