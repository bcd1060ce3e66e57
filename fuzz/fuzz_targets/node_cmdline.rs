//! A `/proc/<pid>/cmdline` (NUL-separated bytes) → `kaegis_node::flags`
//! (splitting, pflag-style parsing, last occurrence wins) → the kubelet's
//! effective configuration from those flags (value conversion of every
//! traced flag, feature gates) over an empty node root, and the etcd
//! environment-variable mapping of every item. Errors and notes are fine;
//! panics are not.
#![no_main]

use std::sync::OnceLock;

use kaegis_node::flags;
use kaegis_node::root::NodeRoot;
use libfuzzer_sys::fuzz_target;

fn empty_root() -> &'static NodeRoot {
    static ROOT: OnceLock<(tempfile_free::Dir, NodeRoot)> = OnceLock::new();
    &ROOT
        .get_or_init(|| {
            let dir = tempfile_free::Dir::new();
            let root = NodeRoot::new(&dir.0);
            (dir, root)
        })
        .1
}

/// An empty folder for the process's lifetime (no tempfile dependency).
mod tempfile_free {
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Self {
            let p = std::env::temp_dir().join(format!("kaegis-fuzz-node-{}", std::process::id()));
            let _ = std::fs::create_dir_all(&p);
            Dir(p)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut args = flags::split_nul(data);
    for a in &args {
        assert_eq!(a.pos.line, 1);
        assert!(a.pos.col >= 1);
        let _ = flags::etcd_env_flag(&a.text);
    }
    if !args.is_empty() {
        args.remove(0);
    }
    let parsed = flags::parse(&args);
    for (name, value) in &parsed {
        assert!(!name.is_empty() && !name.starts_with('-') && !name.contains('='));
        assert!(args.iter().any(|a| a.pos == value.pos));
    }
    let mut diagnostics = Vec::new();
    let eff = kaegis_node::kubelet::resolve(&parsed, empty_root(), &mut diagnostics);
    if let Some(cfg) = eff.config {
        assert!(serde_json::to_string(&cfg).is_ok());
    }
});
