//! The node's filesystem under `--root`: every path kaegis reads is a path
//! as the node sees it (`/etc/kubernetes/admin.conf`), looked up under the
//! root directory, so a mounted node filesystem or a test fixture tree
//! reads the same as `/`.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// How many symbolic links one lookup follows before giving up (the
/// kernel's own limit).
const MAX_LINKS: usize = 40;

/// A node's filesystem, rooted at a directory.
#[derive(Debug)]
pub struct NodeRoot {
    root: PathBuf,
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
}

impl NodeRoot {
    /// The node whose `/` is `root`; user and group names come from its
    /// `/etc/passwd` and `/etc/group` (missing files: numeric ids only).
    pub fn new(root: &Path) -> Self {
        let mut r = Self {
            root: root.to_path_buf(),
            users: HashMap::new(),
            groups: HashMap::new(),
        };
        r.users = r.id_names("/etc/passwd");
        r.groups = r.id_names("/etc/group");
        r
    }

    /// The directory the node's `/` is at.
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// `name:x:id:…` lines of a passwd or group file.
    fn id_names(&self, node_path: &str) -> HashMap<u32, String> {
        let Ok(text) = std::fs::read_to_string(self.host_path(node_path)) else {
            return HashMap::new();
        };
        let mut names = HashMap::new();
        for line in text.lines() {
            let mut fields = line.split(':');
            if let (Some(name), Some(_), Some(id)) = (fields.next(), fields.next(), fields.next())
                && let Ok(id) = id.parse::<u32>()
            {
                // The first line for an id is the name `ls -l` shows.
                names.entry(id).or_insert_with(|| name.to_owned());
            }
        }
        names
    }

    /// The name of a user id, or the number as text.
    pub fn user(&self, uid: u32) -> String {
        self.users
            .get(&uid)
            .cloned()
            .unwrap_or_else(|| uid.to_string())
    }

    /// The name of a group id, or the number as text.
    pub fn group(&self, gid: u32) -> String {
        self.groups
            .get(&gid)
            .cloned()
            .unwrap_or_else(|| gid.to_string())
    }

    /// Where a node path is on this machine: under the root, with symbolic
    /// links resolved inside the root (an absolute link target is the
    /// node's path, not this machine's; `..` never climbs out of the root).
    pub fn host_path(&self, node_path: &str) -> PathBuf {
        let mut pending: Vec<String> = components(node_path);
        pending.reverse();
        let mut resolved: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(part) = pending.pop() {
            match part.as_str() {
                "." => continue,
                ".." => {
                    resolved.pop();
                    continue;
                }
                _ => {}
            }
            resolved.push(part);
            let here = self.join(&resolved);
            let Ok(target) = std::fs::read_link(&here) else {
                continue;
            };
            links += 1;
            if links > MAX_LINKS {
                // A loop: leave the rest to the system call, which will say
                // so.
                return self
                    .join(&resolved)
                    .join(pending.iter().rev().collect::<PathBuf>());
            }
            resolved.pop();
            let target = target.to_string_lossy().into_owned();
            if target.starts_with('/') {
                resolved.clear();
            }
            let mut more = components(&target);
            more.reverse();
            pending.extend(more);
        }
        self.join(&resolved)
    }

    fn join(&self, parts: &[String]) -> PathBuf {
        let mut p = self.root.clone();
        p.extend(parts);
        p
    }

    /// Reads a node file.
    pub fn read(&self, node_path: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.host_path(node_path))
    }

    /// The entries of a node directory as node paths, sorted; `Ok(empty)`
    /// when it does not exist.
    pub fn list(&self, node_dir: &str) -> std::io::Result<Vec<String>> {
        let dir = self.host_path(node_dir);
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut names = Vec::new();
        for entry in rd {
            let entry = entry?;
            names.push(join_node(node_dir, &entry.file_name().to_string_lossy()));
        }
        names.sort();
        Ok(names)
    }
}

/// The normal components of a path, as text.
fn components(path: &str) -> Vec<String> {
    Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_owned()),
            _ => None,
        })
        .collect()
}

/// `dir/name` for node paths.
pub fn join_node(dir: &str, name: &str) -> String {
    if name.starts_with('/') {
        return name.to_owned();
    }
    format!("{}/{}", dir.trim_end_matches('/'), name)
}

/// The directory part of a node path (`/` for a top-level file).
pub fn parent_node(path: &str) -> &str {
    match path.rsplit_once('/') {
        Some(("", _)) | None => "/",
        Some((dir, _)) => dir,
    }
}

/// A short reason for an I/O error, without the OS error number.
pub fn reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => {
            "permission denied (run as root, or mount the node's files readable)".to_owned()
        }
        _ => {
            let s = e.to_string();
            match s.split_once(" (os error") {
                Some((head, _)) => head.to_owned(),
                None => s,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_inside_the_root() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        std::fs::create_dir_all(root.join("etc/kubernetes")).unwrap();
        std::fs::write(root.join("etc/kubernetes/real.conf"), "x").unwrap();
        std::os::unix::fs::symlink("/etc/kubernetes/real.conf", root.join("etc/abs")).unwrap();
        std::os::unix::fs::symlink("kubernetes/real.conf", root.join("etc/rel")).unwrap();
        std::os::unix::fs::symlink("../../../../etc", root.join("etc/up")).unwrap();
        std::os::unix::fs::symlink("loop", root.join("etc/loop")).unwrap();
        let r = NodeRoot::new(root);
        assert_eq!(r.read("/etc/abs").unwrap(), b"x");
        assert_eq!(r.read("/etc/rel").unwrap(), b"x");
        assert_eq!(r.read("/etc/up/kubernetes/real.conf").unwrap(), b"x");
        assert!(r.read("/etc/loop").is_err());
        assert_eq!(r.host_path("/etc/up"), root.join("etc"));
    }

    #[test]
    fn node_path_helpers() {
        assert_eq!(join_node("/etc/", "a"), "/etc/a");
        assert_eq!(parent_node("/etc/a"), "/etc");
        assert_eq!(parent_node("/a"), "/");
        assert_eq!(parent_node("a"), "/");
    }
}
