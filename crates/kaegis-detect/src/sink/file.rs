//! Alerts appended to a file, one JSON object per line.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use crate::pipeline::JsonLines;

/// A JSON-lines sink on a file.
pub type FileSink = JsonLines<BufWriter<File>>;

/// Opens `path` for appending, creating it readable by its owner only
/// (alerts name users, addresses and objects). The error names the file.
pub fn open_append(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
        .open(path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// A sink appending alerts to `path` (created with mode 0600); lines reach
/// the file at every flush.
pub fn append_file(path: &Path) -> std::io::Result<FileSink> {
    Ok(JsonLines::new(BufWriter::new(open_append(path)?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sink;

    #[test]
    fn appends_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.jsonl");
        std::fs::write(&path, "{\"earlier\":1}\n").unwrap();
        let mut sink = append_file(&path).unwrap();
        sink.flush().unwrap();
        drop(sink);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"earlier\":1}\n");
        let fresh = dir.path().join("new.jsonl");
        append_file(&fresh).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&fresh).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let err = append_file(&dir.path().join("no/such/dir.jsonl"))
            .err()
            .unwrap();
        assert!(err.to_string().contains("no/such/dir.jsonl"), "{err}");
    }
}
