//! The components of a node — kube-apiserver, kube-controller-manager,
//! kube-scheduler, etcd, kubelet, kube-proxy — found from running processes
//! (`/proc/<pid>/cmdline`, identified by the program's base name) and from
//! static pod manifests (`/etc/kubernetes/manifests/*.yaml`, the
//! container's `command` and `args`). A running process is the truth: when
//! both exist, the object is the process's and records the manifest too.

use std::path::Path;
use std::sync::Arc;

use kaegis_core::{Diagnostic, Node, Object, Origin, Pos};
use serde_json::{Map, Value, json};

use crate::flags::{self, Arg, FlagValue, Flags};
use crate::root::{NodeRoot, reason};
use crate::{API_VERSION, kubelet};

/// A component kaegis looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// kube-apiserver.
    ApiServer,
    /// kube-controller-manager.
    ControllerManager,
    /// kube-scheduler.
    Scheduler,
    /// etcd.
    Etcd,
    /// kubelet.
    Kubelet,
    /// kube-proxy.
    Proxy,
}

impl Component {
    /// Every component, in report order.
    pub const ALL: [Component; 6] = [
        Component::ApiServer,
        Component::ControllerManager,
        Component::Scheduler,
        Component::Etcd,
        Component::Kubelet,
        Component::Proxy,
    ];

    /// The program's name.
    pub fn binary(self) -> &'static str {
        match self {
            Component::ApiServer => "kube-apiserver",
            Component::ControllerManager => "kube-controller-manager",
            Component::Scheduler => "kube-scheduler",
            Component::Etcd => "etcd",
            Component::Kubelet => "kubelet",
            Component::Proxy => "kube-proxy",
        }
    }

    /// The object kind (`node.kaegis.dev/v1`).
    pub fn kind(self) -> &'static str {
        match self {
            Component::ApiServer => "KubeAPIServer",
            Component::ControllerManager => "KubeControllerManager",
            Component::Scheduler => "KubeScheduler",
            Component::Etcd => "Etcd",
            Component::Kubelet => "Kubelet",
            Component::Proxy => "KubeProxy",
        }
    }

    /// The component a program path (`argv[0]`, a container's
    /// `command[0]`) runs, by its base name.
    pub fn of_program(program: &str) -> Option<Self> {
        let base = program.rsplit('/').next().unwrap_or(program);
        Component::ALL.into_iter().find(|c| c.binary() == base)
    }
}

/// A component's command line, environment and where they came from.
#[derive(Clone, Debug)]
pub struct Found {
    /// Which component.
    pub component: Component,
    /// The arguments after the program name.
    pub args: Vec<Arg>,
    /// Environment variables (name, value, position): etcd reads
    /// `ETCD_*`.
    pub env: Vec<(String, String, Pos)>,
    /// Where the command line came from.
    pub source: Source,
    /// The static pod manifest of the component, when there is one.
    pub manifest: Option<String>,
    /// Where the program's name is in the manifest (`- kube-apiserver`),
    /// where a flag that is not given is reported; unset for a process.
    pub program_pos: Pos,
}

/// Where a command line came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A running process.
    Process {
        /// Its id.
        pid: u32,
    },
    /// A static pod manifest's container (no process of it running).
    Manifest {
        /// The manifest (node path).
        path: String,
        /// The YAML document index of the Pod in it.
        document: u32,
    },
}

/// The running components, one per component (the lowest pid when there
/// are several; a note says so).
pub fn processes(root: &NodeRoot, diagnostics: &mut Vec<Diagnostic>) -> Vec<Found> {
    let entries = match root.list("/proc") {
        Ok(e) => e,
        Err(e) => {
            diagnostics.push(crate::could_not_check("/proc", &reason(&e)));
            return Vec::new();
        }
    };
    let mut pids: Vec<u32> = entries
        .iter()
        .filter_map(|p| p.rsplit('/').next()?.parse().ok())
        .collect();
    pids.sort_unstable();
    let mut found: Vec<Found> = Vec::new();
    for pid in pids {
        // Processes come and go, and kernel threads have an empty command
        // line: what cannot be read is not a component.
        let Ok(bytes) = root.read(&format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let mut args = flags::split_nul(&bytes);
        if args.is_empty() {
            continue;
        }
        let program = args.remove(0);
        let Some(component) = Component::of_program(&program.text) else {
            continue;
        };
        if let Some(first) = found.iter().find(|f| f.component == component) {
            if let Source::Process { pid: first } = first.source {
                diagnostics.push(crate::note(
                    &format!("/proc/{pid}/cmdline"),
                    format!(
                        "several {} processes: audited pid {first}, not pid {pid}",
                        component.binary()
                    ),
                ));
            }
            continue;
        }
        let mut env = Vec::new();
        if component == Component::Etcd {
            let path = format!("/proc/{pid}/environ");
            match root.read(&path) {
                Ok(bytes) => {
                    for item in flags::split_nul(&bytes) {
                        if let Some((k, v)) = item.text.split_once('=') {
                            env.push((k.to_owned(), v.to_owned(), Pos::new(1, 1)));
                        }
                    }
                }
                Err(e) => diagnostics.push(crate::could_not_check(
                    &path,
                    &format!("{} (etcd's ETCD_* settings unknown)", reason(&e)),
                )),
            }
        }
        found.push(Found {
            component,
            args,
            env,
            source: Source::Process { pid },
            manifest: None,
            program_pos: Pos::default(),
        });
    }
    found
}

/// The components of the static pod manifests under `dir`, and the
/// manifests' texts (for the lines reports show).
pub fn manifests(
    root: &NodeRoot,
    dir: &str,
    diagnostics: &mut Vec<Diagnostic>,
    texts: &mut Vec<(Arc<Path>, Arc<str>)>,
) -> Vec<Found> {
    let entries = match root.list(dir) {
        Ok(e) => e,
        Err(e) => {
            diagnostics.push(crate::could_not_check(dir, &reason(&e)));
            return Vec::new();
        }
    };
    let mut found = Vec::new();
    for path in entries {
        if !(path.ends_with(".yaml") || path.ends_with(".yml") || path.ends_with(".json")) {
            continue;
        }
        let bytes = match root.read(&path) {
            Ok(b) => b,
            Err(e) => {
                diagnostics.push(crate::could_not_check(&path, &reason(&e)));
                continue;
            }
        };
        let name: Arc<Path> = Arc::from(Path::new(&path));
        let loaded = kaegis_inputs::load(
            Arc::clone(&name),
            &bytes,
            kaegis_inputs::Syntax::for_path(Path::new(&path)),
        );
        for d in loaded.diagnostics {
            diagnostics.push(Diagnostic {
                message: if d.level == kaegis_core::DiagnosticLevel::Error {
                    format!("could not check: {}", d.message)
                } else {
                    d.message
                },
                ..d
            });
        }
        if let Ok(text) = kaegis_inputs::load::decode(&bytes) {
            texts.push((name, Arc::from(text)));
        }
        for obj in &loaded.objects {
            if obj.id.kind != "Pod" {
                continue;
            }
            let document = match obj.origin {
                Origin::File { document, .. } => document,
                Origin::Other(_) => 0,
            };
            let containers = obj.root.get_path(&["spec", "containers"]);
            for c in containers.map(Node::items).unwrap_or_default() {
                let mut args: Vec<Arg> = ["command", "args"]
                    .iter()
                    .flat_map(|k| c.get(k).map(Node::items).unwrap_or_default())
                    .map(|n| Arg {
                        text: scalar_text(n),
                        pos: n.pos,
                    })
                    .collect();
                if args.is_empty() {
                    continue;
                }
                let program = args.remove(0);
                let Some(component) = Component::of_program(&program.text) else {
                    continue;
                };
                let env = c
                    .get("env")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|e| {
                        let name = e.get("name")?.as_str()?;
                        let value = e.get("value")?;
                        Some((name.to_owned(), scalar_text(value), value.pos))
                    })
                    .collect();
                found.push(Found {
                    component,
                    args,
                    env,
                    source: Source::Manifest {
                        path: path.clone(),
                        document,
                    },
                    manifest: Some(path.clone()),
                    program_pos: program.pos,
                });
            }
        }
    }
    found
}

fn scalar_text(n: &Node) -> String {
    n.as_str().unwrap_or_default().to_owned()
}

/// Running processes first; a manifest adds its path to the process of its
/// component, or stands for the component when none runs.
pub fn combine(processes: Vec<Found>, manifests: Vec<Found>) -> Vec<Found> {
    let mut all = processes;
    for m in manifests {
        match all.iter_mut().find(|f| f.component == m.component) {
            Some(f) if f.manifest.is_none() => f.manifest = m.manifest,
            Some(_) => {}
            None => all.push(m),
        }
    }
    all.sort_by_key(|f| f.component);
    all
}

/// Where each etcd flag came from, as etcd resolves them.
const FROM_COMMAND_LINE: &str = "command-line";
const FROM_ENV: &str = "env";
const FROM_CONFIG_FILE: &str = "config-file";

/// What a component object is built from, beyond its flags.
pub struct Built {
    /// The object.
    pub object: Object,
    /// Its resolved flags.
    pub flags: Flags,
    /// The kubelet's resolved configuration.
    pub kubelet: Option<kubelet::Effective>,
}

/// The object of one component.
pub fn object(found: &Found, root: &NodeRoot, diagnostics: &mut Vec<Diagnostic>) -> Option<Built> {
    let c = found.component;
    let mut flags = flags::parse(&found.args);
    let mut spec = Map::new();
    let (source, origin) = match &found.source {
        Source::Process { pid } => {
            let path = format!("/proc/{pid}/cmdline");
            let mut s = json!({"type": "process", "pid": pid, "path": path});
            if let Some(m) = &found.manifest {
                s["manifest"] = json!(m);
            }
            // No file:line:col for a command line: its one "line" is the
            // whole NUL-separated list.
            (s, Origin::Other(Arc::from(path.as_str())))
        }
        Source::Manifest { path, document } => (
            json!({"type": "manifest", "path": path, "manifest": path}),
            Origin::File {
                path: Arc::from(Path::new(path)),
                document: *document,
                list_item: None,
            },
        ),
    };
    spec.insert("source".into(), source);
    if c == Component::Etcd {
        let (resolved, sources, config_file) = etcd_flags(flags, &found.env, root, diagnostics);
        flags = resolved;
        spec.insert("flagSources".into(), json!(sources));
        if let Some(f) = config_file {
            spec.insert("configFile".into(), json!(f));
        }
    }
    let flag_map: Map<String, Value> = flags
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.value.clone())))
        .collect();
    spec.insert("flags".into(), Value::Object(flag_map));
    let mut eff = None;
    if c == Component::Kubelet {
        let e = kubelet::resolve(&flags, root, diagnostics);
        if let Some(f) = &e.config_file {
            spec.insert("configFile".into(), json!(f));
        }
        if !e.drop_ins.is_empty() {
            spec.insert("configDropIns".into(), json!(e.drop_ins));
        }
        if let Some(cfg) = &e.config {
            spec.insert("config".into(), cfg.clone());
            spec.insert("configSources".into(), json!(e.sources));
        }
        eff = Some(e);
    }
    let value = json!({
        "apiVersion": API_VERSION,
        "kind": c.kind(),
        "metadata": {"name": c.binary()},
        "spec": spec,
    });
    let mut object = crate::object(&value, origin)?;
    // Positions: everything at the object's start, each flag value at the
    // argument that set it (only meaningful in a manifest).
    let base = match &found.source {
        Source::Manifest { .. } => Pos::new(1, 1),
        Source::Process { .. } => Pos::default(),
    };
    set_positions(&mut object.root, base);
    if matches!(found.source, Source::Manifest { .. })
        && let Some(spec) = entry_mut(&mut object.root, "spec")
        && let kaegis_core::Value::Map(entries) = &mut spec.value
        && let Some(flags_entry) = entries.iter_mut().find(|e| &*e.key == "flags")
    {
        // A flag that is not given is reported where the command starts.
        flags_entry.key_pos = found.program_pos;
        flags_entry.value.pos = found.program_pos;
    }
    if matches!(found.source, Source::Manifest { .. })
        && let Some(entries) = spec_flags_mut(&mut object.root)
    {
        for e in entries {
            if let Some(f) = flags.get(&*e.key) {
                e.key_pos = f.pos;
                e.value.pos = f.pos;
            }
        }
    }
    Some(Built {
        object,
        flags,
        kubelet: eff,
    })
}

/// The entries of `spec.flags`, to move their positions.
fn spec_flags_mut(root: &mut Node) -> Option<&mut Vec<kaegis_core::Entry>> {
    let spec = entry_mut(root, "spec")?;
    match &mut entry_mut(spec, "flags")?.value {
        kaegis_core::Value::Map(entries) => Some(entries),
        _ => None,
    }
}

fn entry_mut<'a>(node: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    match &mut node.value {
        kaegis_core::Value::Map(entries) => entries
            .iter_mut()
            .rev()
            .find(|e| &*e.key == key)
            .map(|e| &mut e.value),
        _ => None,
    }
}

/// Sets every position of a tree to `pos`.
fn set_positions(node: &mut Node, pos: Pos) {
    node.pos = pos;
    match &mut node.value {
        kaegis_core::Value::Seq(items) => items.iter_mut().for_each(|n| set_positions(n, pos)),
        kaegis_core::Value::Map(entries) => {
            for e in entries {
                e.key_pos = pos;
                set_positions(&mut e.value, pos);
            }
        }
        _ => {}
    }
}

/// etcd's flags as etcd resolves them (its configuration documentation):
/// when a configuration file is given (`--config-file`, or
/// `ETCD_CONFIG_FILE` when the command line has none), every other flag
/// and environment variable is ignored and the file alone counts;
/// otherwise command-line flags take precedence over `ETCD_*` environment
/// variables. Returns the flags, where each came from, and the config file.
fn etcd_flags(
    cmdline: Flags,
    env: &[(String, String, Pos)],
    root: &NodeRoot,
    diagnostics: &mut Vec<Diagnostic>,
) -> (
    Flags,
    std::collections::BTreeMap<String, &'static str>,
    Option<String>,
) {
    let mut sources = std::collections::BTreeMap::new();
    let config_file = match cmdline.get("config-file") {
        Some(f) => Some((f.value.clone(), f.pos, FROM_COMMAND_LINE)),
        None => env
            .iter()
            .rev()
            .find(|(k, _, _)| k == "ETCD_CONFIG_FILE")
            .map(|(_, v, p)| (v.clone(), *p, FROM_ENV)),
    };
    if let Some((path, pos, from)) = config_file.filter(|(p, _, _)| !p.is_empty()) {
        let mut flags = Flags::new();
        flags.insert(
            "config-file".into(),
            FlagValue {
                value: path.clone(),
                pos,
            },
        );
        sources.insert("config-file".to_owned(), from);
        match etcd_config_file(root, &path) {
            Ok(values) => {
                for (k, v) in values {
                    sources.insert(k.clone(), FROM_CONFIG_FILE);
                    flags.insert(
                        k,
                        FlagValue {
                            value: v,
                            pos: Pos::new(1, 1),
                        },
                    );
                }
            }
            Err(why) => diagnostics.push(crate::could_not_check(&path, &why)),
        }
        return (flags, sources, Some(path));
    }
    let mut flags = cmdline;
    for k in flags.keys() {
        sources.insert(k.clone(), FROM_COMMAND_LINE);
    }
    for (var, value, pos) in env {
        let Some(name) = flags::etcd_env_flag(var) else {
            continue;
        };
        if sources.get(&name) == Some(&FROM_COMMAND_LINE) {
            continue;
        }
        sources.insert(name.clone(), FROM_ENV);
        flags.insert(
            name,
            FlagValue {
                value: value.clone(),
                pos: *pos,
            },
        );
    }
    (flags, sources, None)
}

/// The flags an etcd configuration file sets: its top-level keys are flag
/// names; `client-transport-security` holds the client TLS flags
/// (`cert-file`, `client-cert-auth`…) and `peer-transport-security` the
/// peer ones (`peer-` + the key).
fn etcd_config_file(root: &NodeRoot, path: &str) -> Result<Vec<(String, String)>, String> {
    let bytes = root.read(path).map_err(|e| reason(&e))?;
    let text = kaegis_inputs::load::decode(&bytes)?;
    let stream = kaegis_inputs::yaml::parse_yaml(text);
    if let Some(e) = stream.error {
        return Err(format!("invalid YAML at {}: {}", e.pos, e.message));
    }
    let Some((_, doc)) = stream.documents.into_iter().find(|(_, n)| !n.is_null()) else {
        return Ok(Vec::new());
    };
    if !doc.is_map() {
        return Err("not a mapping of etcd settings".into());
    }
    let mut out = Vec::new();
    for e in doc.entries() {
        let prefix = match &*e.key {
            "client-transport-security" => "",
            "peer-transport-security" => "peer-",
            _ => {
                if let Some(v) = flag_text(&e.value) {
                    out.push((e.key.to_string(), v));
                }
                continue;
            }
        };
        for inner in e.value.entries() {
            if let Some(v) = flag_text(&inner.value) {
                out.push((format!("{prefix}{}", inner.key), v));
            }
        }
    }
    Ok(out)
}

/// A setting of a configuration file as a flag's text: scalars as written,
/// lists joined by commas; nested mappings are not flags.
fn flag_text(n: &Node) -> Option<String> {
    match &n.value {
        kaegis_core::Value::Null => None,
        kaegis_core::Value::Scalar { text, .. } => Some(text.to_string()),
        kaegis_core::Value::Seq(items) => Some(
            items
                .iter()
                .filter_map(Node::as_str)
                .collect::<Vec<_>>()
                .join(","),
        ),
        kaegis_core::Value::Map(_) => None,
    }
}
