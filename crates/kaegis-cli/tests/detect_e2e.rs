//! `kaegis detect` on a real kube-apiserver's audit events, through both
//! backends at once: the log file it writes and its audit webhook posting
//! to `kaegis detect --listen`. Attacks are made with kubectl; the
//! apiserver's own bootstrap traffic and the setup around them must raise
//! nothing, and both paths must raise the same alerts.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kaegis_testcluster::TestCluster;

fn kaegis() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("kaegis"))
}

const POLICY: &str = "\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
# Leader-election and identity leases: constant, uninteresting.
- level: None
  resources: [{group: coordination.k8s.io, resources: [leases]}]
# Bodies of Secrets and tokens must never reach the log.
- level: Metadata
  resources:
  - {group: '', resources: [secrets, serviceaccounts/token]}
  - {group: authentication.k8s.io, resources: [tokenreviews]}
- level: RequestResponse
";

const PRIVILEGED_POD: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: miner, namespace: victim}
spec:
  hostPID: true
  containers:
  - name: c
    image: registry.example.com/tools:1.0
    securityContext: {privileged: true}
";

const WEBHOOK: &str = "\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: policy-guard}
webhooks:
- name: guard.example.com
  clientConfig: {url: 'https://127.0.0.1:1/validate'}
  rules: [{apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}]
  failurePolicy: Ignore
  sideEffects: None
  admissionReviewVersions: [v1]
";

/// Starts `kaegis detect --listen` on a free port; returns it with the port.
fn webhook_detector(dir: &Path) -> (Child, u16) {
    let certs = kaegis()
        .args(["admission", "certs", "--ip", "127.0.0.1", "--out"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        certs.status.success(),
        "{}",
        String::from_utf8_lossy(&certs.stderr)
    );
    std::fs::write(dir.join("kaegis.yaml"), "detect:\n  learningPeriod: 0s\n").unwrap();
    let mut child = kaegis()
        .args([
            "detect",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .arg("--tls-cert")
        .arg(dir.join("tls.crt"))
        .arg("--tls-key")
        .arg(dir.join("tls.key"))
        .arg("--config")
        .arg(dir.join("kaegis.yaml"))
        .arg("--output")
        .arg(dir.join("webhook-alerts.jsonl"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let port = loop {
        let line = lines.next().expect("kaegis detect exited").unwrap();
        if let Some(rest) = line.split("https://127.0.0.1:").nth(1) {
            break rest.split('/').next().unwrap().parse().unwrap();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, port)
}

fn alerts(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn summary(alerts: &[serde_json::Value]) -> BTreeSet<(String, String)> {
    alerts
        .iter()
        .map(|a| {
            let name = a["object"]["name"].as_str().unwrap_or("").to_owned();
            let rule = a["rule"].as_str().unwrap().to_owned();
            // A burst has no object; its source is what it is about.
            let what = if rule == "auth-brute-force" {
                a["sourceIPs"][0].as_str().unwrap().to_owned()
            } else {
                name
            };
            (rule, what)
        })
        .collect()
}

#[test]
fn attacks_on_a_real_apiserver_alert_through_the_log_and_the_webhook() {
    let work = tempfile::tempdir().unwrap();
    let (mut detector, port) = webhook_detector(work.path());
    let webhook_kubeconfig = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: kaegis\n  cluster:\n    server: https://127.0.0.1:{port}/audit\n    certificate-authority: {}\ncontexts:\n- name: kaegis\n  context: {{cluster: kaegis, user: kaegis}}\ncurrent-context: kaegis\nusers:\n- name: kaegis\n  user: {{}}\n",
        work.path().join("ca.crt").display()
    );
    let Some(k8s) = TestCluster::builder()
        .file("audit-policy.yaml", POLICY)
        .file("audit-webhook.yaml", webhook_kubeconfig)
        .apiserver_arg("--audit-policy-file={dir}/audit-policy.yaml")
        .apiserver_arg("--audit-log-path={dir}/audit.log")
        .apiserver_arg("--audit-webhook-config-file={dir}/audit-webhook.yaml")
        .apiserver_arg("--audit-webhook-batch-max-wait=1s")
        .start_or_skip()
    else {
        let _ = detector.kill();
        return;
    };

    // Setup, which must raise nothing.
    k8s.kubectl_ok(&["create", "namespace", "victim"]);
    k8s.kubectl_ok(&["create", "namespace", "falco"]);
    k8s.kubectl_ok(&["-n", "victim", "create", "serviceaccount", "app"]);
    k8s.kubectl_apply_ok(WEBHOOK);

    // The attacks, each with the rule that must see it.
    let mut expected: BTreeSet<(String, String)> = BTreeSet::new();
    let mut attack = |rule: &str, what: &str| expected.insert((rule.to_owned(), what.to_owned()));
    k8s.kubectl_ok(&[
        "create",
        "clusterrolebinding",
        "pwn",
        "--clusterrole=cluster-admin",
        "--user=mallory",
    ]);
    attack("admin-binding", "pwn");
    k8s.kubectl_ok(&[
        "create",
        "clusterrole",
        "godmode",
        "--verb=*",
        "--resource=*",
    ]);
    attack("permissive-clusterrole", "godmode");
    k8s.kubectl_ok(&["label", "clusterrole", "system:discovery", "tampered=yes"]);
    attack("system-rbac-modified", "system:discovery");
    k8s.kubectl_ok(&[
        "-n",
        "victim",
        "create",
        "service",
        "nodeport",
        "web",
        "--tcp=80:8080",
    ]);
    attack("service-exposed", "web");
    k8s.kubectl_apply_ok(PRIVILEGED_POD);
    attack("privileged-workload", "miner");
    k8s.kubectl_ok(&[
        "-n",
        "victim",
        "create",
        "configmap",
        "app-config",
        "--from-literal=db_password=hunter2-prod-9f8e7d",
    ]);
    attack("configmap-credentials", "app-config");
    k8s.kubectl_ok(&["-n", "kube-system", "create", "serviceaccount", "backdoor"]);
    attack("kube-system-workload-created", "backdoor");
    k8s.kubectl_ok(&["-n", "victim", "create", "token", "app"]);
    attack("serviceaccount-token-request", "app");
    k8s.kubectl_ok(&["auth", "whoami", "--as=system:serviceaccount:victim:app"]);
    attack("impersonation", "");
    k8s.kubectl_ok(&["-n", "victim", "get", "secrets"]);
    attack("secret-read-unusual", "");
    k8s.kubectl_ok(&["delete", "validatingwebhookconfiguration", "policy-guard"]);
    attack("admission-control-tampered", "policy-guard");
    k8s.kubectl_ok(&["delete", "namespace", "falco", "--wait=false"]);
    attack("security-namespace-deleted", "falco");
    let stolen = k8s.kubeconfig_with_token("not-a-valid-token");
    for _ in 0..10 {
        let out = k8s.kubectl_as(&stolen, &["get", "pods", "-n", "victim"]);
        assert!(!out.status.success());
    }
    attack("auth-brute-force", "127.0.0.1");

    // The log, read once.
    let log = k8s.dir().join("audit.log");
    let deadline = Instant::now() + Duration::from_secs(30);
    let webhook_out = work.path().join("webhook-alerts.jsonl");
    while summary(&alerts(&webhook_out)).len() < expected.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(250));
    }
    let config = work.path().join("kaegis.yaml");
    let read = kaegis()
        .args(["detect", "--quiet", "--audit-log"])
        .arg(&log)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(
        read.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let from_log: Vec<serde_json::Value> = String::from_utf8_lossy(&read.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        summary(&from_log),
        expected,
        "alerts from the log: {from_log:#?}"
    );

    // The webhook saw the same requests: the same alerts, by id.
    Command::new("kill")
        .args(["-TERM", &detector.id().to_string()])
        .status()
        .unwrap();
    assert!(detector.wait().unwrap().success());
    let from_webhook = alerts(&webhook_out);
    let ids = |a: &[serde_json::Value]| -> BTreeSet<String> {
        a.iter()
            .map(|x| x["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(&from_webhook),
        ids(&from_log),
        "webhook: {from_webhook:#?}"
    );

    // The policy is explained: every rule that reads bodies fires, and the
    // ConfigMap bodies it keeps are named as a leak.
    let explained = kaegis()
        .args(["detect", "--explain-policy"])
        .arg(k8s.dir().join("audit-policy.yaml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&explained.stdout);
    assert!(text.contains("configmaps"), "{text}");
}
