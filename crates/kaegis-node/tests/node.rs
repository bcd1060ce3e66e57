//! `kaegis_node::collect` on fixture node trees: the exact objects.

mod common;

use std::os::unix::fs::MetadataExt as _;

use kaegis_core::{DiagnosticLevel, Object, Origin, Pos};
use kaegis_node::kubelet::to_json;
use serde_json::{Value, json};

fn find<'a>(objects: &'a [Object], kind: &str, name: &str) -> &'a Object {
    objects
        .iter()
        .find(|o| o.id.kind == kind && o.id.name == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn spec(objects: &[Object], kind: &str, name: &str) -> Value {
    to_json(find(objects, kind, name).root.get("spec").expect("spec"))
}

/// The owner fields a file the test wrote has: the test's own user, named
/// `root` only when that is who runs the tests.
fn owner(dir: &std::path::Path) -> Value {
    let m = std::fs::metadata(dir).unwrap();
    let name = |id: u32| {
        if id == 0 {
            json!("root")
        } else {
            json!(id.to_string())
        }
    };
    json!({"uid": m.uid(), "gid": m.gid(), "user": name(m.uid()), "group": name(m.gid())})
}

fn with(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

fn dump(c: &kaegis_node::Collected) -> String {
    c.objects
        .iter()
        .map(|o| format!("{}\n", to_json(&o.root)))
        .collect()
}

fn file(path: &str, role: &str, mode: &str, kind: &str, own: &Value) -> Value {
    with(
        json!({"path": path, "role": role, "roles": [role], "exists": true, "type": kind, "mode": mode}),
        own.clone(),
    )
}

fn missing(path: &str, role: &str) -> Value {
    json!({"path": path, "role": role, "roles": [role], "exists": false})
}

fn errors(c: &kaegis_node::Collected) -> Vec<String> {
    c.diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Error)
        .map(ToString::to_string)
        .collect()
}

#[test]
fn control_plane() {
    let t = common::build("control-plane", common::CONTROL_PLANE_MODES);
    let c = kaegis_node::collect(t.path());
    let own = owner(t.path());
    assert!(c.found_anything);
    assert_eq!(errors(&c), Vec::<String>::new());
    let ids: Vec<String> = c.objects.iter().map(|o| o.id.to_string()).collect();
    let files = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("NodeFile {n}"))
            .collect::<Vec<_>>()
    };
    let mut want: Vec<String> = [
        "KubeAPIServer kube-apiserver",
        "KubeControllerManager kube-controller-manager",
        "KubeScheduler kube-scheduler",
        "Etcd etcd",
        "Kubelet kubelet",
    ]
    .map(str::to_owned)
    .to_vec();
    want.extend(files(&[
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        "/etc/kubernetes/manifests/kube-controller-manager.yaml",
        "/etc/kubernetes/manifests/kube-scheduler.yaml",
        "/etc/kubernetes/manifests/etcd.yaml",
        "/var/lib/etcd",
        "/etc/kubernetes/admin.conf",
        "/etc/kubernetes/super-admin.conf",
        "/etc/kubernetes/scheduler.conf",
        "/etc/kubernetes/controller-manager.conf",
        "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
        "/etc/kubernetes/kubelet.conf",
        "/var/lib/kubelet/config.yaml",
        "/etc/kubernetes/pki/ca.crt",
        "/etc/kubernetes/enc/encryption.yaml",
        "/etc/kubernetes/audit/policy.yaml",
        "/etc/kubernetes/pki",
        "/etc/kubernetes/pki/apiserver.crt",
        "/etc/kubernetes/pki/etcd/ca.crt",
        "/etc/kubernetes/pki/etcd/server.crt",
        "/etc/kubernetes/pki/apiserver.key",
        "/etc/kubernetes/pki/ca.key",
        "/etc/kubernetes/pki/etcd/ca.key",
        "/etc/kubernetes/pki/etcd/server.key",
        "/etc/cni/net.d/10-flannel.conflist",
    ]));
    // EncryptionConfiguration and Policy have no name.
    want.extend(["EncryptionConfiguration ", "Policy "].map(str::to_owned));
    assert_eq!(ids, want, "{}", dump(&c));

    // The API server runs nowhere: its static pod manifest stands for it,
    // each flag at its argument; the last --authorization-mode wins.
    let api = find(&c.objects, "KubeAPIServer", "kube-apiserver");
    assert_eq!(
        api.origin,
        Origin::File {
            path: std::sync::Arc::from(std::path::Path::new(
                "/etc/kubernetes/manifests/kube-apiserver.yaml"
            )),
            document: 0,
            list_item: None
        }
    );
    assert_eq!(
        spec(&c.objects, "KubeAPIServer", "kube-apiserver"),
        json!({
            "source": {"type": "manifest", "path": "/etc/kubernetes/manifests/kube-apiserver.yaml", "manifest": "/etc/kubernetes/manifests/kube-apiserver.yaml"},
            "flags": {
                "advertise-address": "10.0.0.10",
                "allow-privileged": "true",
                "audit-policy-file": "/etc/kubernetes/audit/policy.yaml",
                "authorization-mode": "AlwaysAllow,Node,RBAC",
                "client-ca-file": "/etc/kubernetes/pki/ca.crt",
                "enable-admission-plugins": "NodeRestriction",
                "enable-bootstrap-token-auth": "true",
                "encryption-provider-config": "/etc/kubernetes/enc/encryption.yaml",
                "etcd-cafile": "/etc/kubernetes/pki/etcd/ca.crt",
                "etcd-servers": "https://127.0.0.1:2379",
                "secure-port": "6443",
                "tls-cert-file": "/etc/kubernetes/pki/apiserver.crt",
                "tls-private-key-file": "/etc/kubernetes/pki/apiserver.key"
            }
        })
    );
    let at = |flag: &str| {
        api.locate(&kaegis_core::JsonPath::parse(&format!("spec.flags[\"{flag}\"]")).expect("path"))
    };
    assert_eq!(at("authorization-mode"), Pos::new(22, 7));
    assert_eq!(at("secure-port"), Pos::new(24, 7));
    assert_eq!(at("enable-bootstrap-token-auth"), Pos::new(17, 7));
    assert_eq!(
        spec(&c.objects, "KubeScheduler", "kube-scheduler")["flags"],
        json!({"bind-address": "127.0.0.1", "kubeconfig": "/etc/kubernetes/scheduler.conf", "leader-elect": "true"})
    );
    assert_eq!(
        spec(
            &c.objects,
            "KubeControllerManager",
            "kube-controller-manager"
        )["flags"],
        json!({"bind-address": "127.0.0.1", "kubeconfig": "/etc/kubernetes/controller-manager.conf", "profiling": "false", "use-service-account-credentials": "true"})
    );

    // etcd runs: the process is the truth (the manifest is recorded); the
    // command line wins over ETCD_CLIENT_CERT_AUTH=false, the environment
    // adds what the command line does not set.
    let etcd = find(&c.objects, "Etcd", "etcd");
    assert_eq!(
        etcd.origin,
        Origin::Other(std::sync::Arc::from("/proc/1301/cmdline"))
    );
    assert_eq!(
        spec(&c.objects, "Etcd", "etcd"),
        json!({
            "source": {"type": "process", "pid": 1301, "path": "/proc/1301/cmdline", "manifest": "/etc/kubernetes/manifests/etcd.yaml"},
            "flagSources": {
                "advertise-client-urls": "command-line", "cert-file": "command-line",
                "client-cert-auth": "command-line", "data-dir": "command-line",
                "key-file": "command-line", "listen-client-urls": "command-line",
                "name": "command-line", "peer-auto-tls": "env", "peer-cert-file": "command-line",
                "peer-client-cert-auth": "env", "peer-key-file": "command-line",
                "trusted-ca-file": "command-line"
            },
            "flags": {
                "advertise-client-urls": "https://10.0.0.10:2379",
                "cert-file": "/etc/kubernetes/pki/etcd/server.crt",
                "client-cert-auth": "true",
                "data-dir": "/var/lib/etcd",
                "key-file": "/etc/kubernetes/pki/etcd/server.key",
                "listen-client-urls": "https://127.0.0.1:2379,https://10.0.0.10:2379",
                "name": "cp-1",
                "peer-auto-tls": "true",
                "peer-cert-file": "/etc/kubernetes/pki/etcd/peer.crt",
                "peer-client-cert-auth": "true",
                "peer-key-file": "/etc/kubernetes/pki/etcd/peer.key",
                "trusted-ca-file": "/etc/kubernetes/pki/etcd/ca.crt"
            }
        })
    );

    // The kubelet: file defaults (secure), the file, the drop-in
    // (streaming timeout; its clusterDNS list replaces the file's), then
    // the flags: --read-only-port 10255 over the file's 0, and
    // --feature-gates merged key by key over the file's featureGates.
    assert_eq!(
        spec(&c.objects, "Kubelet", "kubelet"),
        json!({
            "source": {"type": "process", "pid": 1201, "path": "/proc/1201/cmdline"},
            "flags": {
                "bootstrap-kubeconfig": "/etc/kubernetes/bootstrap-kubelet.conf",
                "config": "/var/lib/kubelet/config.yaml",
                "config-dir": "/etc/kubernetes/kubelet.conf.d",
                "container-runtime-endpoint": "unix:///var/run/containerd/containerd.sock",
                "feature-gates": "RotateKubeletServerCertificate=true",
                "hostname-override": "cp-1",
                "kubeconfig": "/etc/kubernetes/kubelet.conf",
                "read-only-port": "10255"
            },
            "configFile": "/var/lib/kubelet/config.yaml",
            "configDropIns": ["/etc/kubernetes/kubelet.conf.d/50-streaming.conf"],
            "config": {
                "authentication": {"anonymous": {"enabled": false}, "webhook": {"enabled": true}, "x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"}},
                "authorization": {"mode": "Webhook"},
                "readOnlyPort": 10255,
                "streamingConnectionIdleTimeout": "5m0s",
                "protectKernelDefaults": false,
                "makeIPTablesUtilChains": true,
                "eventRecordQPS": 50,
                "rotateCertificates": true,
                "serverTLSBootstrap": false,
                "podPidsLimit": -1,
                "seccompDefault": false,
                "apiVersion": "kubelet.config.k8s.io/v1beta1",
                "kind": "KubeletConfiguration",
                "cgroupDriver": "systemd",
                "clusterDNS": ["10.96.0.11"],
                "featureGates": {"SomeGate": false, "RotateKubeletServerCertificate": true}
            },
            "configSources": {
                "authentication.anonymous.enabled": "default",
                "authentication.webhook.enabled": "default",
                "authentication.x509.clientCAFile": "file",
                "authorization.mode": "file",
                "eventRecordQPS": "default",
                "featureGates": "flag",
                "makeIPTablesUtilChains": "default",
                "podPidsLimit": "default",
                "protectKernelDefaults": "default",
                "readOnlyPort": "flag",
                "rotateCertificates": "file",
                "seccompDefault": "default",
                "serverTLSBootstrap": "default",
                "streamingConnectionIdleTimeout": "drop-in",
                "tlsCertFile": "default",
                "tlsCipherSuites": "default",
                "tlsPrivateKeyFile": "default"
            }
        })
    );

    // Files: modes and owners as set; a path of two roles keeps both.
    let nf = |name: &str| spec(&c.objects, "NodeFile", name);
    assert_eq!(
        nf("/etc/kubernetes/manifests/kube-apiserver.yaml"),
        file(
            "/etc/kubernetes/manifests/kube-apiserver.yaml",
            "apiserver-manifest",
            "0600",
            "file",
            &own
        )
    );
    assert_eq!(
        nf("/etc/kubernetes/scheduler.conf"),
        file(
            "/etc/kubernetes/scheduler.conf",
            "scheduler-kubeconfig",
            "0644",
            "file",
            &own
        )
    );
    assert_eq!(
        nf("/etc/kubernetes/pki/apiserver.key"),
        file(
            "/etc/kubernetes/pki/apiserver.key",
            "pki-key",
            "0644",
            "file",
            &own
        )
    );
    assert_eq!(
        nf("/etc/kubernetes/pki"),
        file("/etc/kubernetes/pki", "pki-dir", "0755", "directory", &own)
    );
    assert_eq!(
        nf("/var/lib/etcd"),
        file("/var/lib/etcd", "etcd-data-dir", "0700", "directory", &own)
    );
    assert_eq!(
        nf("/etc/kubernetes/super-admin.conf"),
        missing("/etc/kubernetes/super-admin.conf", "super-admin-kubeconfig")
    );
    let mut ca = file(
        "/etc/kubernetes/pki/ca.crt",
        "kubelet-ca",
        "0644",
        "file",
        &own,
    );
    ca["roles"] = json!(["kubelet-ca", "pki-cert"]);
    assert_eq!(nf("/etc/kubernetes/pki/ca.crt"), ca);
    assert_eq!(
        nf("/etc/kubernetes/enc/encryption.yaml")["role"],
        "encryption-config"
    );
    assert_eq!(
        nf("/etc/kubernetes/audit/policy.yaml")["role"],
        "audit-policy"
    );
    assert_eq!(
        nf("/etc/cni/net.d/10-flannel.conflist")["role"],
        "cni-config"
    );
    assert_eq!(
        nf("/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf")["role"],
        "kubelet-service"
    );

    // The encryption configuration is the real kind, with file positions.
    let enc = find(&c.objects, "EncryptionConfiguration", "");
    assert_eq!(
        enc.file().as_deref(),
        Some(std::path::Path::new("/etc/kubernetes/enc/encryption.yaml"))
    );
    let first = kaegis_core::JsonPath::parse("resources[0].providers[0]").expect("path");
    assert_eq!(enc.locate(&first), Pos::new(7, 5));

    let notes: Vec<String> = c.diagnostics.iter().map(|d| d.message.clone()).collect();
    assert_eq!(
        notes,
        [
            "components found: kube-apiserver (manifest /etc/kubernetes/manifests/kube-apiserver.yaml, not running), kube-controller-manager (manifest /etc/kubernetes/manifests/kube-controller-manager.yaml, not running), kube-scheduler (manifest /etc/kubernetes/manifests/kube-scheduler.yaml, not running), etcd (pid 1301), kubelet (pid 1201); not on this node: kube-proxy"
        ]
    );
}

#[test]
fn owners_are_named_from_the_nodes_passwd_and_group() {
    let t = common::build("control-plane", common::CONTROL_PLANE_MODES);
    let dir = t.path().join("var/lib/etcd");
    // Only root can give a file away; as anyone else the names are those
    // of the test's own ids, checked in control_plane().
    if std::os::unix::fs::chown(&dir, Some(998), Some(997)).is_err() {
        eprintln!("skipped: not root, cannot chown");
        return;
    }
    let c = kaegis_node::collect(t.path());
    let s = spec(&c.objects, "NodeFile", "/var/lib/etcd");
    assert_eq!(
        (&s["uid"], &s["gid"], &s["user"], &s["group"]),
        (&json!(998), &json!(997), &json!("etcd"), &json!("etcd"))
    );
    std::os::unix::fs::chown(&dir, Some(4242), Some(4243)).expect("chown");
    let c = kaegis_node::collect(t.path());
    let s = spec(&c.objects, "NodeFile", "/var/lib/etcd");
    assert_eq!((&s["user"], &s["group"]), (&json!("4242"), &json!("4243")));
}

#[test]
fn worker() {
    let t = common::build("worker", common::WORKER_MODES);
    let c = kaegis_node::collect(t.path());
    assert!(c.found_anything);
    assert_eq!(errors(&c), Vec::<String>::new());
    // No --config: the command line's defaults apply — AlwaysAllow, the
    // read-only port 10255, no webhook authentication — but for what the
    // flags set.
    assert_eq!(
        spec(&c.objects, "Kubelet", "kubelet"),
        json!({
            "source": {"type": "process", "pid": 900, "path": "/proc/900/cmdline"},
            "flags": {
                "anonymous-auth": "false",
                "client-ca-file": "/etc/kubernetes/pki/ca.crt",
                "event-qps": "0",
                "kubeconfig": "/etc/kubernetes/kubelet.conf"
            },
            "config": {
                "authentication": {"anonymous": {"enabled": false}, "webhook": {"enabled": false}, "x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"}},
                "authorization": {"mode": "AlwaysAllow"},
                "readOnlyPort": 10255,
                "streamingConnectionIdleTimeout": "4h0m0s",
                "protectKernelDefaults": false,
                "makeIPTablesUtilChains": true,
                "eventRecordQPS": 0,
                "rotateCertificates": false,
                "serverTLSBootstrap": false,
                "podPidsLimit": -1,
                "seccompDefault": false
            },
            "configSources": {
                "authentication.anonymous.enabled": "flag",
                "authentication.webhook.enabled": "default",
                "authentication.x509.clientCAFile": "flag",
                "authorization.mode": "default",
                "eventRecordQPS": "flag",
                "featureGates": "default",
                "makeIPTablesUtilChains": "default",
                "podPidsLimit": "default",
                "protectKernelDefaults": "default",
                "readOnlyPort": "default",
                "rotateCertificates": "default",
                "seccompDefault": "default",
                "serverTLSBootstrap": "default",
                "streamingConnectionIdleTimeout": "default",
                "tlsCertFile": "default",
                "tlsCipherSuites": "default",
                "tlsPrivateKeyFile": "default"
            }
        })
    );
    assert_eq!(
        spec(&c.objects, "KubeProxy", "kube-proxy")["flags"],
        json!({"hostname-override": "worker-1", "kubeconfig": "/var/lib/kube-proxy/kubeconfig.conf"})
    );
    let kinds: Vec<&str> = c.objects.iter().map(|o| o.id.kind.as_str()).collect();
    assert!(!kinds.contains(&"KubeAPIServer") && !kinds.contains(&"Etcd"));
    assert_eq!(
        spec(
            &c.objects,
            "NodeFile",
            "/var/lib/kube-proxy/kubeconfig.conf"
        ),
        missing("/var/lib/kube-proxy/kubeconfig.conf", "proxy-kubeconfig")
    );
    assert_eq!(
        spec(
            &c.objects,
            "NodeFile",
            "/etc/kubernetes/manifests/kube-apiserver.yaml"
        ),
        missing(
            "/etc/kubernetes/manifests/kube-apiserver.yaml",
            "apiserver-manifest"
        )
    );
    assert_eq!(
        c.diagnostics.last().map(|d| d.message.as_str()),
        Some(
            "components found: kubelet (pid 900), kube-proxy (pid 950); not on this node: kube-apiserver, kube-controller-manager, kube-scheduler, etcd"
        )
    );
}

#[test]
fn etcd_config_file_replaces_flags_and_environment() {
    let t = common::build("control-plane", common::CONTROL_PLANE_MODES);
    let p = t.path();
    std::fs::write(
        p.join("proc/1301/environ"),
        "ETCD_CONFIG_FILE=/etc/etcd/etcd.yaml\0ETCD_AUTO_TLS=true\0",
    )
    .unwrap();
    std::fs::create_dir_all(p.join("etc/etcd")).unwrap();
    std::fs::write(
        p.join("etc/etcd/etcd.yaml"),
        "name: cp-1\ndata-dir: /data/etcd\nlisten-client-urls: http://0.0.0.0:2379\nclient-transport-security:\n  cert-file: /pki/server.crt\n  client-cert-auth: false\npeer-transport-security:\n  auto-tls: true\n",
    )
    .unwrap();
    let c = kaegis_node::collect(p);
    let s = spec(&c.objects, "Etcd", "etcd");
    assert_eq!(s["configFile"], "/etc/etcd/etcd.yaml");
    assert_eq!(
        s["flags"],
        json!({
            "cert-file": "/pki/server.crt", "client-cert-auth": "false", "config-file": "/etc/etcd/etcd.yaml",
            "data-dir": "/data/etcd", "listen-client-urls": "http://0.0.0.0:2379", "name": "cp-1",
            "peer-auto-tls": "true"
        })
    );
    assert_eq!(s["flagSources"]["config-file"], "env");
    assert_eq!(s["flagSources"]["client-cert-auth"], "config-file");
    // The data dir follows etcd's setting.
    assert!(
        c.objects
            .iter()
            .any(|o| o.id.kind == "NodeFile" && o.id.name == "/data/etcd")
    );
}

#[test]
fn malformed_configs_are_reported_not_guessed() {
    let t = common::build("control-plane", common::CONTROL_PLANE_MODES);
    let p = t.path();
    std::fs::write(
        p.join("var/lib/kubelet/config.yaml"),
        "kind: KubeletConfiguration\nauthorization: [\n",
    )
    .unwrap();
    std::fs::write(
        p.join("etc/kubernetes/enc/encryption.yaml"),
        "resources: {a: 1\n",
    )
    .unwrap();
    std::fs::write(
        p.join("etc/kubernetes/manifests/kube-scheduler.yaml"),
        "\u{0}binary",
    )
    .unwrap();
    let c = kaegis_node::collect(p);
    let e = errors(&c);
    assert_eq!(e.len(), 3, "{e:#?}");
    assert!(
        e[0].starts_with(
            "/etc/kubernetes/manifests/kube-scheduler.yaml: could not check: binary file"
        ),
        "{e:#?}"
    );
    assert!(
        e[1].starts_with("/var/lib/kubelet/config.yaml: could not check: invalid YAML at 3:1"),
        "{e:#?}"
    );
    assert!(
        e[2].starts_with("/etc/kubernetes/enc/encryption.yaml:2:1: could not check: invalid YAML"),
        "{e:#?}"
    );
    // No effective configuration rather than one built without the file.
    let k = spec(&c.objects, "Kubelet", "kubelet");
    assert!(
        k.get("config").is_none() && k.get("configSources").is_none(),
        "{k}"
    );
    assert_eq!(k["configFile"], "/var/lib/kubelet/config.yaml");
    // The scheduler is not running and its manifest is unreadable: absent.
    assert!(!c.objects.iter().any(|o| o.id.kind == "KubeScheduler"));
}

#[test]
fn unreadable_file_is_could_not_check() {
    let t = common::build("control-plane", &[("/var/lib/kubelet/config.yaml", 0o000)]);
    if std::fs::read(t.path().join("var/lib/kubelet/config.yaml")).is_ok() {
        eprintln!(
            "skipped: running as root, every file is readable (malformed_configs_are_reported_not_guessed covers the failure path)"
        );
        return;
    }
    let c = kaegis_node::collect(t.path());
    assert!(errors(&c).contains(&"/var/lib/kubelet/config.yaml: could not check: permission denied (run as root, or mount the node's files readable)".to_owned()));
    assert!(
        spec(&c.objects, "Kubelet", "kubelet")
            .get("config")
            .is_none()
    );
}

#[test]
fn an_empty_root_holds_nothing() {
    let t = tempfile::tempdir().unwrap();
    let c = kaegis_node::collect(t.path());
    assert!(!c.found_anything);
    assert!(c.objects.iter().all(|o| o.id.kind == "NodeFile"));
    assert!(
        c.diagnostics
            .iter()
            .any(|d| d.message.starts_with("no Kubernetes component found"))
    );
}
