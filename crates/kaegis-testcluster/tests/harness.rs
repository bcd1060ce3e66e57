//! The harness against itself: a real etcd + kube-apiserver stores and
//! defaults objects, reports the version it was built from, enforces RBAC on
//! a ServiceAccount's token, takes extra flags — and its processes and
//! folder are gone after a drop and after the test process is SIGKILLed.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use kaegis_testcluster::{StartError, TestCluster};
use serde_json::Value;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn keep() -> bool {
    std::env::var_os("KAEGIS_K8S_KEEP").is_some_and(|v| v == "1")
}

/// PIDs of live processes whose command line mentions `needle` (zombies
/// have an empty command line, so only processes that still run count).
fn processes_mentioning(needle: &str) -> Vec<u32> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(needle))
        })
        .collect()
}

/// Waits until nothing runs from `dir`, nothing listens on `server`'s port,
/// and (unless kept) `dir` is deleted; panics after `timeout`.
fn assert_cleaned_up(dir: &Path, server: &str, timeout: Duration) {
    let port: u16 = server
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {server}"));
    let needle = dir.to_str().expect("temp dir paths are UTF-8");
    let deadline = Instant::now() + timeout;
    loop {
        let running = processes_mentioning(needle);
        let listening = TcpStream::connect(("127.0.0.1", port)).is_ok();
        let present = !keep() && dir.exists();
        if running.is_empty() && !listening && !present {
            return;
        }
        if Instant::now() >= deadline {
            panic!(
                "after {timeout:?}: processes still running {running:?}, port {port} listening: \
                 {listening}, {} still there: {present}",
                dir.display()
            );
        }
        sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_namespace_and_a_pod_round_trip_through_the_api_server() {
    let Some(k8s) = TestCluster::shared_or_skip() else {
        return;
    };
    let out = k8s.kubectl_apply_ok(
        r#"
apiVersion: v1
kind: Namespace
metadata:
  name: harness-apply
---
apiVersion: v1
kind: Pod
metadata:
  name: hello
  namespace: harness-apply
  labels: {app: hello}
spec:
  containers:
  - name: hello
    image: registry.k8s.io/pause:3.10
    securityContext:
      allowPrivilegeEscalation: false
      runAsNonRoot: true
      capabilities: {drop: [ALL]}
"#,
    );
    assert!(out.contains("namespace/harness-apply created"), "{out}");
    assert!(out.contains("pod/hello created"), "{out}");

    let pod = json(&k8s.kubectl_ok(&["get", "pod", "hello", "-n", "harness-apply", "-o", "json"]));
    assert_eq!(pod["metadata"]["namespace"], "harness-apply");
    assert_eq!(pod["metadata"]["labels"]["app"], "hello");
    assert!(
        pod["metadata"]["uid"]
            .as_str()
            .is_some_and(|u| !u.is_empty())
    );
    let container = &pod["spec"]["containers"][0];
    assert_eq!(container["image"], "registry.k8s.io/pause:3.10");
    assert_eq!(
        container["securityContext"]["capabilities"]["drop"][0],
        "ALL"
    );
    // Defaults only a real API server fills in; nothing schedules the pod.
    assert_eq!(pod["spec"]["restartPolicy"], "Always");
    assert_eq!(pod["spec"]["dnsPolicy"], "ClusterFirst");
    assert_eq!(container["imagePullPolicy"], "IfNotPresent");
    assert_eq!(pod["status"]["phase"], "Pending");

    let ns = json(&k8s.kubectl_ok(&["get", "namespace", "harness-apply", "-o", "json"]));
    assert_eq!(ns["status"]["phase"], "Active");
}

#[test]
fn the_server_reports_the_release_it_was_built_from() {
    let Some(k8s) = TestCluster::shared_or_skip() else {
        return;
    };
    // "v1.37.2 recipe=2 tags=…", written by .ci/k8s-bins.sh.
    let stamp = std::fs::read_to_string(k8s.bin("kube-apiserver.stamp")).unwrap_or_default();
    let version = json(&k8s.kubectl_ok(&["version", "-o", "json"]));
    let server = &version["serverVersion"];
    assert_eq!(server["major"], "1", "{version}");
    match stamp.split_whitespace().next() {
        Some(built) => assert_eq!(server["gitVersion"], built, "{version}"),
        None => eprintln!("no kube-apiserver.stamp; checked the major version only"),
    }
    assert_eq!(
        version["clientVersion"]["gitVersion"], server["gitVersion"],
        "{version}"
    );
}

#[test]
fn a_service_account_token_is_confined_by_rbac() {
    let Some(k8s) = TestCluster::shared_or_skip() else {
        return;
    };
    let ns = k8s.create_namespace("harness-rbac");
    k8s.kubectl_apply_ok(&format!(
        r#"
apiVersion: v1
kind: ServiceAccount
metadata: {{name: reader, namespace: {ns}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: list-pods, namespace: {ns}}}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: reader-lists-pods, namespace: {ns}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: list-pods}}
subjects:
- {{kind: ServiceAccount, name: reader, namespace: {ns}}}
"#
    ));
    let token = k8s.token_for_service_account(&ns, "reader");
    assert_eq!(token.split('.').count(), 3, "not a JWT: {token}");
    let kubeconfig = k8s.kubeconfig_with_token(&token);

    let who = k8s.kubectl_as(&kubeconfig, &["auth", "whoami", "-o", "json"]);
    assert!(who.status.success(), "{who:?}");
    let who = json(&String::from_utf8_lossy(&who.stdout));
    assert_eq!(
        who["status"]["userInfo"]["username"],
        format!("system:serviceaccount:{ns}:reader")
    );

    let pods = k8s.kubectl_as(&kubeconfig, &["get", "pods", "-n", &ns]);
    let stderr = String::from_utf8_lossy(&pods.stderr);
    assert!(pods.status.success(), "listing pods was refused: {stderr}");
    assert!(stderr.contains("No resources found"), "{stderr}");

    for args in [
        ["get", "secrets", "-n", ns.as_str()],
        ["get", "pods", "-n", "default"],
    ] {
        let denied = k8s.kubectl_as(&kubeconfig, &args);
        let stderr = String::from_utf8_lossy(&denied.stderr);
        assert!(!denied.status.success(), "kubectl {args:?} was allowed");
        assert!(
            stderr.contains("Forbidden")
                && stderr.contains(&format!("system:serviceaccount:{ns}:reader")),
            "kubectl {args:?}: {stderr}"
        );
    }
}

#[test]
fn the_builder_refuses_to_replace_the_flags_the_harness_needs() {
    let err = TestCluster::builder()
        .apiserver_arg("--secure-port=6443")
        .start()
        .err();
    assert!(
        matches!(&err, Some(StartError::Failed(m)) if m.contains("--secure-port")),
        "{err:?}"
    );
}

#[test]
fn builder_flags_and_files_reach_the_api_server_and_drop_cleans_up() {
    let policy = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n";
    let Some(k8s) = TestCluster::builder()
        .file("audit-policy.yaml", policy)
        .apiserver_arg("--audit-policy-file={dir}/audit-policy.yaml")
        .apiserver_arg("--audit-log-path={dir}/audit.log")
        .start_or_skip()
    else {
        return;
    };
    k8s.kubectl_ok(&["create", "configmap", "audited", "-n", "default"]);
    let log = k8s.dir().join("audit.log");
    let deadline = Instant::now() + Duration::from_secs(10);
    let event = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let found = text.lines().map(json).find(|e| {
            e["verb"] == "create"
                && e["objectRef"]["resource"] == "configmaps"
                && e["objectRef"]["name"] == "audited"
        });
        match found {
            Some(event) => break event,
            None if Instant::now() < deadline => sleep(Duration::from_millis(100)),
            None => panic!(
                "no audit event for the ConfigMap in {}:\n{text}",
                log.display()
            ),
        }
    };
    assert_eq!(event["user"]["username"], "kaegis-admin");

    let dir = k8s.dir().to_path_buf();
    let server = k8s.server().to_string();
    assert!(!processes_mentioning(dir.to_str().unwrap()).is_empty());
    let stopping = Instant::now();
    drop(k8s);
    eprintln!("dropped in {:.2} s", stopping.elapsed().as_secs_f64());
    // Drop waits for both servers; what is left is at most the folder.
    assert_cleaned_up(&dir, &server, Duration::from_secs(2));
}

/// Set in the child process of the next test.
const CHILD: &str = "KAEGIS_TESTCLUSTER_CHILD";

/// Not a test of its own: the process the next test SIGKILLs. It starts a
/// cluster, says where, and waits to be killed.
#[test]
fn child_holding_a_cluster_until_killed() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let k8s = TestCluster::start().unwrap_or_else(|e| panic!("{e}"));
    println!("CLUSTER {} {}", k8s.server(), k8s.dir().display());
    sleep(Duration::from_secs(600));
}

#[test]
fn servers_stop_when_the_test_process_is_killed() {
    // Skips (or fails under CI) exactly when the child could not start one.
    if TestCluster::shared_or_skip().is_none() {
        return;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "child_holding_a_cluster_until_killed",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the test binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|l| l.starts_with("CLUSTER "))
        .unwrap_or_else(|| panic!("the child printed no CLUSTER line: {:?}", child.wait()));
    let mut words = line.split_whitespace().skip(1);
    let (server, dir) = (
        words.next().expect("a server").to_string(),
        words.next().expect("a folder").to_string(),
    );
    // etcd, kube-apiserver and their two supervisors.
    assert!(
        processes_mentioning(&dir).len() >= 4,
        "{:?}",
        processes_mentioning(&dir)
    );

    child.kill().expect("SIGKILL the child"); // no Drop, no atexit, nothing
    let _ = child.wait();
    let killed = Instant::now();
    assert_cleaned_up(Path::new(&dir), &server, Duration::from_secs(20));
    eprintln!(
        "servers gone {:.2} s after SIGKILL",
        killed.elapsed().as_secs_f64()
    );
}

#[test]
fn a_flag_the_api_server_rejects_fails_the_start_with_its_log() {
    let result = TestCluster::builder()
        .apiserver_arg("--no-such-flag=1")
        .start();
    match result {
        Err(StartError::Failed(message)) => assert!(
            message.contains("kube-apiserver exited during startup")
                && message.contains("unknown flag: --no-such-flag"),
            "{message}"
        ),
        Err(StartError::Unavailable(why)) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED: {why}");
        }
        other => panic!("expected a failed start, got {other:?}"),
    }
}
