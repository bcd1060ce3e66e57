//! `kaegis admission` end to end against a real kube-apiserver + etcd
//! (kaegis-testcluster): the webhook registered by URL with its caBundle,
//! and `kubectl apply` denied with kaegis's message, admitted with warnings,
//! mutated with secure defaults, or left alone in an exempt namespace.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kaegis_testcluster::TestCluster;
use serde_json::Value;

/// The webhook process, stopped (SIGTERM, then kill) when dropped.
struct Webhook {
    child: Child,
    metrics: u16,
}

impl Drop for Webhook {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let code = buf.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, buf.split("\r\n\r\n").nth(1).unwrap_or("").to_owned()))
}

fn kaegis() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kaegis"))
}

fn start_webhook(dir: &Path, kubeconfig: &Path, config: &Path) -> (Webhook, u16) {
    let port = free_port();
    let metrics = free_port();
    let log = std::fs::File::create(dir.join("webhook.log")).unwrap();
    let err = std::fs::File::create(dir.join("webhook.err")).unwrap();
    let child = kaegis()
        .arg("admission")
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--metrics-listen", &format!("127.0.0.1:{metrics}")])
        .arg("--tls-cert")
        .arg(dir.join("tls.crt"))
        .arg("--tls-key")
        .arg(dir.join("tls.key"))
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--config")
        .arg(config)
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(err))
        .spawn()
        .unwrap();
    let hook = Webhook { child, metrics };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some((200, _)) = http_get(metrics, "/readyz") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the webhook never became ready:\n{}",
            std::fs::read_to_string(dir.join("webhook.err")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    (hook, port)
}

fn webhooks(port: u16, ca_bundle: &str, namespaces: &[&str], mutate: &[&str]) -> String {
    let list = |ns: &[&str]| {
        ns.iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        r#"apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: kaegis-e2e-{port}
webhooks:
- name: validate.kaegis.dev
  clientConfig:
    url: https://127.0.0.1:{port}/validate
    caBundle: {ca_bundle}
  rules:
  - operations: ["CREATE", "UPDATE"]
    apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods"]
  - operations: ["CREATE", "UPDATE"]
    apiGroups: ["apps"]
    apiVersions: ["v1"]
    resources: ["deployments"]
  namespaceSelector:
    matchExpressions:
    - {{key: kubernetes.io/metadata.name, operator: In, values: [{validate}]}}
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: ["v1"]
  timeoutSeconds: 5
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: kaegis-e2e-{port}
webhooks:
- name: mutate.kaegis.dev
  clientConfig:
    url: https://127.0.0.1:{port}/mutate
    caBundle: {ca_bundle}
  rules:
  - operations: ["CREATE"]
    apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods"]
  namespaceSelector:
    matchExpressions:
    - {{key: kubernetes.io/metadata.name, operator: In, values: [{mutate}]}}
  failurePolicy: Fail
  sideEffects: None
  reinvocationPolicy: Never
  admissionReviewVersions: ["v1"]
  timeoutSeconds: 5
"#,
        validate = list(namespaces),
        mutate = list(mutate),
    )
}

fn pod(name: &str, ns: &str, security_context: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  containers:\n  - name: app\n    image: registry.example.com/app:1.0\n{security_context}"
    )
}

const PRIVILEGED: &str = "    securityContext:\n      privileged: true\n";

#[test]
fn the_webhook_denies_warns_mutates_and_exempts_on_a_real_api_server() {
    let Some(k8s) = TestCluster::shared_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let denying = k8s.create_namespace("kaegis-deny");
    let mutating = k8s.create_namespace("kaegis-mutate");
    let exempt = k8s.create_namespace("kaegis-exempt");
    let strict = k8s.create_namespace("kaegis-strict");
    k8s.kubectl_ok(&["label", "namespace", &mutating, "kaegis.dev/mutate=true"]);
    k8s.kubectl_ok(&[
        "label",
        "namespace",
        &strict,
        "kaegis.dev/enforce=restricted",
    ]);

    // Certificates for 127.0.0.1, and the caBundle to register.
    let out = kaegis()
        .args(["admission", "certs", "--ip", "127.0.0.1", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ca_bundle = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    let config = dir.path().join("kaegis.yaml");
    std::fs::write(
        &config,
        format!("admission:\n  enforce: pss-baseline\n  warn: pss-restricted\n  exemptions:\n    namespaces: [{exempt}]\n"),
    )
    .unwrap();
    let (hook, port) = start_webhook(dir.path(), k8s.kubeconfig(), &config);
    let all = [
        denying.as_str(),
        mutating.as_str(),
        exempt.as_str(),
        strict.as_str(),
    ];
    k8s.kubectl_apply_ok(&webhooks(port, &ca_bundle, &all, &[&mutating, &exempt]));

    // The API server picks the configuration up within a moment: retry the
    // first request until the webhook answers it.
    let deadline = Instant::now() + Duration::from_secs(30);
    let denied = loop {
        let o = k8s.kubectl_apply(&pod("root", &denying, PRIVILEGED));
        if !o.status.success() {
            break String::from_utf8_lossy(&o.stderr).into_owned();
        }
        k8s.kubectl(&["delete", "pod", "root", "-n", &denying, "--wait=false"]);
        assert!(
            Instant::now() < deadline,
            "the webhook never denied a privileged pod"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(denied.contains("denied the request"), "{denied}");
    assert!(denied.contains("KG103 privileged"), "{denied}");
    assert!(denied.contains("fix: set privileged: false"), "{denied}");

    // A dry run is answered the same way.
    let o = k8s.kubectl_input(
        &["apply", "--dry-run=server", "-f", "-"],
        &pod("root-dry", &denying, PRIVILEGED),
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("KG103"));

    // Baseline-clean but not restricted: admitted, with warnings.
    let o = k8s.kubectl_apply(&pod("warned", &denying, ""));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains("Warning: kaegis KG121 allow-privilege-escalation"),
        "{stderr}"
    );

    // The namespace's own label raises enforcement to restricted: the cache
    // knows the label, no call per request.
    let o = k8s.kubectl_apply(&pod("plain", &strict, ""));
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("KG121"));

    // Mutated: secure defaults added, what the user wrote untouched.
    let o = k8s.kubectl_apply(&pod(
        "defaults",
        &mutating,
        "    securityContext:\n      runAsUser: 1000\n      capabilities:\n        add: [NET_BIND_SERVICE]\n",
    ));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got: Value = serde_json::from_str(
        &k8s.kubectl_ok(&["get", "pod", "defaults", "-n", &mutating, "-o", "json"]),
    )
    .unwrap();
    let sc = &got["spec"]["containers"][0]["securityContext"];
    assert_eq!(
        got["spec"]["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));
    assert_eq!(
        sc["capabilities"]["add"],
        serde_json::json!(["NET_BIND_SERVICE"])
    );
    assert_eq!(sc["runAsNonRoot"], true);
    assert_eq!(sc["runAsUser"], 1000);

    // Exempt namespace: neither denied nor mutated.
    let o = k8s.kubectl_apply(&pod("root", &exempt, PRIVILEGED));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got: Value =
        serde_json::from_str(&k8s.kubectl_ok(&["get", "pod", "root", "-n", &exempt, "-o", "json"]))
            .unwrap();
    assert!(
        got["spec"]["securityContext"]
            .get("seccompProfile")
            .is_none()
    );
    assert_eq!(
        got["spec"]["containers"][0]["securityContext"],
        serde_json::json!({"privileged": true})
    );

    // Deletes pass through.
    k8s.kubectl_ok(&["delete", "pod", "warned", "-n", &denying, "--wait=false"]);

    // The webhook counted its decisions and logged the denial as JSON.
    let (_, metrics) = http_get(hook.metrics, "/metrics").unwrap();
    assert!(metrics.contains(r#"decision="denied""#), "{metrics}");
    assert!(metrics.contains(r#"decision="mutated""#), "{metrics}");
    assert!(metrics.contains(r#"decision="skipped""#), "{metrics}");
    drop(hook);
    let log = std::fs::read_to_string(dir.path().join("webhook.log")).unwrap();
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert!(lines.iter().any(|l| l["allowed"] == false
        && l["findings"][0]["check"] == "KG103"
        && l["dryRun"] == true));
    k8s.kubectl(&[
        "delete",
        "validatingwebhookconfiguration,mutatingwebhookconfiguration",
        &format!("kaegis-e2e-{port}"),
    ]);
}
