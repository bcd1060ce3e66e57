//! Reading audit logs: plain or gzip-compressed files line by line, with
//! each line's number and byte offset; a followed file (`tail -F`
//! semantics: through rotation by rename and through truncation in place);
//! read positions that can be saved and resumed.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Bytes read per call.
const CHUNK: usize = 1 << 20;
/// Lines handed out per [`LogFile::read_available`] call at most, so a
/// caller following a large backlog checkpoints as it goes (10,000 lines
/// take about 15 ms in a release build).
const BUDGET: u64 = 10_000;
/// A line longer than this is cut and reported (the API server's largest
/// event is an object of 3 MiB, escaped; 64 MiB leaves room for lists).
pub const MAX_LINE: usize = 64 << 20;

/// Where reading a file got to: the file's identity and the offset after
/// the last complete line processed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The path the file was opened by.
    pub path: PathBuf,
    /// Device and inode (0 when unknown).
    pub dev: u64,
    /// Inode.
    pub ino: u64,
    /// Byte offset after the last complete line.
    pub offset: u64,
    /// Lines read before `offset`.
    pub line: u64,
    /// True once a compressed file was read to its end (compressed files
    /// are read whole and not followed).
    pub done: bool,
}

/// A file's identity.
fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        (0, 0)
    }
}

/// True when a file starts with the gzip magic bytes.
pub fn is_gzip(path: &Path) -> std::io::Result<bool> {
    let mut magic = [0u8; 2];
    let mut f = File::open(path)?;
    let n = f.read(&mut magic)?;
    Ok(n == 2 && magic == [0x1f, 0x8b])
}

/// Splits a byte stream into lines, keeping a partial last line for later.
#[derive(Default)]
struct Lines {
    buf: Vec<u8>,
    start: usize,
}

impl Lines {
    /// Appends up to [`CHUNK`] bytes read from `r`; the count read (0 at end).
    fn fill(&mut self, r: &mut impl Read) -> std::io::Result<usize> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let len = self.buf.len();
        self.buf.resize(len + CHUNK, 0);
        let n = loop {
            match r.read(&mut self.buf[len..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(len);
                    return Err(e);
                }
            }
        };
        self.buf.truncate(len + n);
        Ok(n)
    }

    /// The next complete line (without its newline or a trailing `\r`) and
    /// the bytes it consumed.
    fn next(&mut self) -> Option<(&[u8], usize)> {
        let rest = &self.buf[self.start..];
        let end = memchr::memchr(b'\n', rest)?;
        let line = &rest[..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        self.start += end + 1;
        Some((line, end + 1))
    }

    /// Bytes of an incomplete line held.
    fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Takes the incomplete line (at the end of a stream that will not
    /// grow).
    fn take_rest(&mut self) -> Vec<u8> {
        let rest = self.buf[self.start..].to_vec();
        self.buf.clear();
        self.start = 0;
        rest
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.start = 0;
    }
}

/// What one [`LogFile::read_available`] call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOutcome {
    /// Lines handed out.
    pub lines: u64,
    /// True when the file's current end was reached (false: the budget ran
    /// out first; call again).
    pub at_end: bool,
}

/// One line handed to the caller.
pub struct Line<'a> {
    /// Its bytes, without the newline.
    pub bytes: &'a [u8],
    /// Its 1-based line number in the file.
    pub number: u64,
}

/// An event the reader wants the user to know about (rotation, truncation,
/// a line cut for length).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The path now names a new file; the old one was read to its end.
    Rotated(PathBuf),
    /// The file shrank below the read position: read again from the start.
    Truncated(PathBuf),
    /// A saved position could not be resumed; reading starts at the
    /// beginning of the current file (events in between may be missed).
    Restarted(PathBuf, String),
    /// Reading resumes after a saved line.
    Resumed(PathBuf, u64),
    /// A line was longer than [`MAX_LINE`] and skipped (number).
    TooLong(PathBuf, u64),
}

/// A log file read incrementally: plain files from a position, followed
/// across rotation and truncation; gzip files read whole, once.
pub struct LogFile {
    path: PathBuf,
    file: Option<File>,
    /// After a rotation found at resume: the old file is drained first.
    draining: Option<File>,
    id: (u64, u64),
    offset: u64,
    line: u64,
    lines: Lines,
    gzip: bool,
    done: bool,
    skipping_long: bool,
}

impl LogFile {
    /// A log at `path`, resuming from `saved` when it still describes the
    /// file there (or a rotated copy of it in the same folder).
    pub fn open(path: &Path, saved: Option<&Position>, notices: &mut Vec<Notice>) -> Self {
        let mut log = Self {
            path: path.to_path_buf(),
            file: None,
            draining: None,
            id: (0, 0),
            offset: 0,
            line: 0,
            lines: Lines::default(),
            // Standard input is read whole, like a compressed file.
            gzip: path.as_os_str() == "-" || is_gzip(path).unwrap_or(false),
            done: false,
            skipping_long: false,
        };
        if let Some(p) = saved {
            log.resume(p, notices);
        }
        log
    }

    fn resume(&mut self, p: &Position, notices: &mut Vec<Notice>) {
        if (p.dev, p.ino) == (0, 0) && p.offset == 0 {
            // Saved before the file was opened: start at its beginning.
            return;
        }
        let Ok(meta) = std::fs::metadata(&self.path) else {
            return;
        };
        let id = identity(&meta);
        if id == (p.dev, p.ino) {
            if p.done {
                self.id = id;
                self.done = true;
            } else if meta.len() >= p.offset {
                if let Ok(mut f) = File::open(&self.path)
                    && f.seek(SeekFrom::Start(p.offset)).is_ok()
                {
                    self.file = Some(f);
                    self.id = id;
                    self.offset = p.offset;
                    self.line = p.line;
                    notices.push(Notice::Resumed(self.path.clone(), p.line));
                }
            } else {
                notices.push(Notice::Truncated(self.path.clone()));
            }
            return;
        }
        // Rotated while stopped: the old file may be beside it, renamed.
        if let Some(old) = find_by_identity(&self.path, (p.dev, p.ino))
            && let Ok(mut f) = File::open(&old)
            && f.metadata().is_ok_and(|m| m.len() >= p.offset)
            && f.seek(SeekFrom::Start(p.offset)).is_ok()
        {
            self.draining = Some(f);
            // Until it is drained, positions name the old file.
            self.id = (p.dev, p.ino);
            self.offset = p.offset;
            self.line = p.line;
            notices.push(Notice::Rotated(self.path.clone()));
            return;
        }
        notices.push(Notice::Restarted(
            self.path.clone(),
            "the file read before was rotated away or replaced while kaegis was stopped".into(),
        ));
    }

    /// Where reading got to.
    pub fn position(&self) -> Position {
        Position {
            path: self.path.clone(),
            dev: self.id.0,
            ino: self.id.1,
            offset: self.offset,
            line: self.line,
            done: self.done,
        }
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True for a compressed file or standard input (read whole, not
    /// followed).
    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// Reads what is there now (up to a budget of lines) and hands each
    /// complete line to `f`. `follow` checks for rotation and truncation at
    /// the end of the data; without it a final line without a newline is
    /// read too (the file is complete). Call again while the outcome is not
    /// `at_end`.
    pub fn read_available(
        &mut self,
        follow: bool,
        notices: &mut Vec<Notice>,
        f: &mut dyn FnMut(Line<'_>),
    ) -> std::io::Result<ReadOutcome> {
        let end = |lines| ReadOutcome {
            lines,
            at_end: true,
        };
        if self.done {
            return Ok(end(0));
        }
        if self.gzip {
            return self.read_gzip(notices, f).map(end);
        }
        let mut read = 0;
        if let Some(mut old) = self.draining.take() {
            let (n, at_end) = self.drain(&mut old, notices, f)?;
            read += n;
            if !at_end {
                self.draining = Some(old);
                return Ok(ReadOutcome {
                    lines: read,
                    at_end: false,
                });
            }
            let rest = self.lines.take_rest();
            if !rest.is_empty() {
                read += self.hand(&rest, rest.len(), f);
            }
            self.id = (0, 0);
            self.offset = 0;
            self.line = 0;
        }
        if self.file.is_none() {
            match File::open(&self.path) {
                Ok(file) => {
                    self.id = file.metadata().map(|m| identity(&m)).unwrap_or((0, 0));
                    self.file = Some(file);
                    self.offset = 0;
                    self.line = 0;
                    self.lines.clear();
                }
                Err(e) if follow && e.kind() == std::io::ErrorKind::NotFound => {
                    return Ok(end(read));
                }
                Err(e) => return Err(e),
            }
        }
        let Some(mut file) = self.file.take() else {
            return Ok(end(read));
        };
        let result = self.drain(&mut file, notices, f);
        self.file = Some(file);
        let (n, at_end) = result?;
        read += n;
        if !at_end {
            return Ok(ReadOutcome {
                lines: read,
                at_end: false,
            });
        }
        if !follow {
            let rest = self.lines.take_rest();
            if !rest.is_empty() {
                read += self.hand(&rest, rest.len(), f);
            }
            return Ok(end(read));
        }
        // At the end: has the path moved on to another file, or shrunk?
        match std::fs::metadata(&self.path) {
            Ok(meta) if identity(&meta) != self.id => {
                // Rotated: finish the old file (the writer may have added a
                // last line after our read), then start the new one.
                if let Some(mut old) = self.file.take() {
                    // Whatever the budget: the old file is finished now.
                    loop {
                        let (n, at_end) = self.drain(&mut old, notices, f)?;
                        read += n;
                        if at_end {
                            break;
                        }
                    }
                }
                let rest = self.lines.take_rest();
                if !rest.is_empty() {
                    read += self.hand(&rest, rest.len(), f);
                }
                notices.push(Notice::Rotated(self.path.clone()));
                // Nothing of the new file is read yet: a checkpoint now
                // must not name the old one (a resume would read it again).
                self.file = None;
                self.id = (0, 0);
                self.offset = 0;
                self.line = 0;
            }
            Ok(meta) if meta.len() < self.offset + self.lines.pending() as u64 => {
                notices.push(Notice::Truncated(self.path.clone()));
                if let Some(file) = self.file.as_mut() {
                    file.seek(SeekFrom::Start(0))?;
                }
                self.lines.clear();
                self.offset = 0;
                self.line = 0;
            }
            _ => {}
        }
        Ok(end(read))
    }

    /// Reads `file` to its current end or the budget, handing out complete
    /// lines; true when it reached the end.
    fn drain(
        &mut self,
        file: &mut File,
        notices: &mut Vec<Notice>,
        f: &mut dyn FnMut(Line<'_>),
    ) -> std::io::Result<(u64, bool)> {
        let mut read = 0;
        loop {
            if read >= BUDGET {
                return Ok((read, false));
            }
            let n = self.lines.fill(file)?;
            while let Some((bytes, consumed)) = self.lines.next() {
                self.offset += consumed as u64;
                self.line += 1;
                if std::mem::take(&mut self.skipping_long) {
                    continue;
                }
                f(Line {
                    bytes,
                    number: self.line,
                });
                read += 1;
            }
            if self.lines.pending() > MAX_LINE {
                // Drop the oversized line; skip to its end.
                let pending = self.lines.pending();
                self.lines.clear();
                self.offset += pending as u64;
                self.skipping_long = true;
                notices.push(Notice::TooLong(self.path.clone(), self.line + 1));
            }
            if n == 0 {
                return Ok((read, true));
            }
        }
    }

    fn hand(&mut self, bytes: &[u8], consumed: usize, f: &mut dyn FnMut(Line<'_>)) -> u64 {
        self.offset += consumed as u64;
        self.line += 1;
        if std::mem::take(&mut self.skipping_long) {
            return 0;
        }
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        f(Line {
            bytes,
            number: self.line,
        });
        1
    }

    fn read_gzip(
        &mut self,
        notices: &mut Vec<Notice>,
        f: &mut dyn FnMut(Line<'_>),
    ) -> std::io::Result<u64> {
        if self.is_stdin() {
            return self.read_whole(&mut std::io::stdin().lock(), notices, f);
        }
        let file = File::open(&self.path)?;
        self.id = file.metadata().map(|m| identity(&m)).unwrap_or((0, 0));
        let mut gz = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file));
        self.read_whole(&mut gz, notices, f)
    }

    /// True for `-`: standard input.
    pub fn is_stdin(&self) -> bool {
        self.path.as_os_str() == "-"
    }

    /// Reads a stream that is not followed (a compressed file, standard
    /// input) to its end, once.
    fn read_whole(
        &mut self,
        stream: &mut dyn Read,
        notices: &mut Vec<Notice>,
        f: &mut dyn FnMut(Line<'_>),
    ) -> std::io::Result<u64> {
        let mut gz = stream;
        let mut read = 0;
        let mut lines = Lines::default();
        self.line = 0;
        loop {
            let n = lines.fill(&mut gz)?;
            while let Some((bytes, _)) = lines.next() {
                self.line += 1;
                if std::mem::take(&mut self.skipping_long) {
                    continue;
                }
                f(Line {
                    bytes,
                    number: self.line,
                });
                read += 1;
            }
            if lines.pending() > MAX_LINE {
                lines.clear();
                self.skipping_long = true;
                notices.push(Notice::TooLong(self.path.clone(), self.line + 1));
            }
            if n == 0 {
                break;
            }
        }
        let rest = lines.take_rest();
        if !rest.is_empty() && !std::mem::take(&mut self.skipping_long) {
            self.line += 1;
            f(Line {
                bytes: &rest,
                number: self.line,
            });
            read += 1;
        }
        self.done = true;
        Ok(read)
    }
}

/// A file in `path`'s folder with the given identity (a rotated copy).
fn find_by_identity(path: &Path, id: (u64, u64)) -> Option<PathBuf> {
    if id == (0, 0) {
        return None;
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty())?;
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .find(|e| e.metadata().is_ok_and(|m| identity(&m) == id))
        .map(|e| e.path())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn collect(log: &mut LogFile, follow: bool) -> (Vec<(u64, String)>, Vec<Notice>) {
        let mut out = Vec::new();
        let mut notices = Vec::new();
        log.read_available(follow, &mut notices, &mut |l| {
            out.push((l.number, String::from_utf8_lossy(l.bytes).into_owned()))
        })
        .unwrap();
        (out, notices)
    }

    #[test]
    fn follows_appends_rotation_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        std::fs::write(&path, "a\nb\npart").unwrap();
        let mut log = LogFile::open(&path, None, &mut Vec::new());
        let (lines, _) = collect(&mut log, true);
        assert_eq!(lines, [(1, "a".into()), (2, "b".into())]);
        // The partial line completes.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"ial\n")
            .unwrap();
        assert_eq!(collect(&mut log, true).0, [(3, "partial".into())]);
        let saved = log.position();
        assert_eq!(saved.offset, 12);

        // Rotation by rename: the old file gets one more line, then a new file.
        std::fs::rename(&path, dir.path().join("audit-1.log")).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join("audit-1.log"))
            .unwrap()
            .write_all(b"late\n")
            .unwrap();
        std::fs::write(&path, "new1\n").unwrap();
        let (lines, notices) = collect(&mut log, true);
        assert_eq!(lines, [(4, "late".into())]);
        assert_eq!(notices, [Notice::Rotated(path.clone())]);
        // A position saved between the rotation and the new file's first
        // read resumes at the new file's start, not the old file's.
        let between = log.position();
        let mut resumed = LogFile::open(&path, Some(&between), &mut Vec::new());
        assert_eq!(collect(&mut resumed, true).0, [(1, "new1".into())]);
        assert_eq!(collect(&mut log, true).0, [(1, "new1".into())]);

        // Truncation in place (copytruncate).
        std::fs::write(&path, "").unwrap();
        let (lines, notices) = collect(&mut log, true);
        assert!(lines.is_empty());
        assert_eq!(notices, [Notice::Truncated(path.clone())]);
        std::fs::write(&path, "t1\n").unwrap();
        assert_eq!(collect(&mut log, true).0, [(1, "t1".into())]);
    }

    #[test]
    fn resumes_a_saved_position_even_after_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        std::fs::write(&path, "a\nb\n").unwrap();
        let mut log = LogFile::open(&path, None, &mut Vec::new());
        collect(&mut log, false);
        let saved = log.position();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"c\n")
            .unwrap();
        let mut again = LogFile::open(&path, Some(&saved), &mut Vec::new());
        assert_eq!(collect(&mut again, false).0, [(3, "c".into())]);

        // Rotated while stopped: the rest of the old file, then the new one.
        std::fs::rename(&path, dir.path().join("audit.log.1")).unwrap();
        std::fs::write(&path, "d\n").unwrap();
        let mut notices = Vec::new();
        let mut resumed = LogFile::open(&path, Some(&saved), &mut notices);
        assert_eq!(notices, [Notice::Rotated(path.clone())]);
        assert_eq!(
            collect(&mut resumed, true).0,
            [(3, "c".into()), (1, "d".into())]
        );
    }

    #[test]
    fn reads_gzip_and_a_last_line_without_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"x\r\ny").unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        let mut log = LogFile::open(&path, None, &mut Vec::new());
        assert!(log.is_gzip());
        assert_eq!(
            collect(&mut log, false).0,
            [(1, "x".into()), (2, "y".into())]
        );
        let saved = log.position();
        assert!(saved.done);
        let mut again = LogFile::open(&path, Some(&saved), &mut Vec::new());
        assert!(
            collect(&mut again, false).0.is_empty(),
            "a finished archive is not read twice"
        );
    }
}
