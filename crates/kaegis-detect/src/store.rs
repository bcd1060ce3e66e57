//! The detector's embedded store: one redb file holding the last
//! checkpoint — read positions, the detector's [`State`] and the length of
//! the alert file — written in one transaction, so after a crash (even
//! `kill -9`) a restart resumes exactly where the last checkpoint was:
//! no event is judged twice by the stateful rules and none is skipped.

use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::input::Position;
use crate::state::State;

const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("kaegis-detect");
const KEY: &str = "checkpoint/v1";

/// What one checkpoint records.
#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq)]
pub struct Checkpoint {
    /// Read positions, one per log file.
    pub positions: Vec<Position>,
    /// The detector's memory.
    pub state: State,
    /// The alert file and its length when the checkpoint was taken: alerts
    /// written after it are cut on restart, since their events are read
    /// again.
    pub output: Option<(PathBuf, u64)>,
}

impl Checkpoint {
    /// The saved position of `path`, if any.
    pub fn position(&self, path: &Path) -> Option<&Position> {
        self.positions.iter().find(|p| p.path == path)
    }
}

/// The store.
pub struct Store {
    db: Database,
    path: PathBuf,
}

/// A store error, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct StoreError {
    /// The store file.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

impl Store {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let err = |e: &dyn std::fmt::Display| StoreError {
            path: path.to_path_buf(),
            message: format!("cannot open the state store: {e}"),
        };
        let db = Database::create(path).map_err(|e| err(&e))?;
        Ok(Self {
            db,
            path: path.to_path_buf(),
        })
    }

    fn err(&self, what: &str, e: impl std::fmt::Display) -> StoreError {
        StoreError {
            path: self.path.clone(),
            message: format!("{what}: {e}"),
        }
    }

    /// The last checkpoint, or `None` for a new store.
    pub fn load(&self) -> Result<Option<Checkpoint>, StoreError> {
        let tx = self
            .db
            .begin_read()
            .map_err(|e| self.err("cannot read", e))?;
        let table = match tx.open_table(TABLE) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(self.err("cannot read", e)),
        };
        let Some(value) = table.get(KEY).map_err(|e| self.err("cannot read", e))? else {
            return Ok(None);
        };
        let mut cp: Checkpoint = serde_json::from_slice(value.value()).map_err(|e| {
            self.err(
                "the checkpoint does not decode (delete the file to start afresh)",
                e,
            )
        })?;
        cp.state.reindex();
        Ok(Some(cp))
    }

    /// Saves a checkpoint, durably, in one transaction.
    pub fn save(&self, cp: &Checkpoint) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(cp).map_err(|e| self.err("cannot encode", e))?;
        let tx = self
            .db
            .begin_write()
            .map_err(|e| self.err("cannot write", e))?;
        {
            let mut table = tx
                .open_table(TABLE)
                .map_err(|e| self.err("cannot write", e))?;
            table
                .insert(KEY, bytes.as_slice())
                .map_err(|e| self.err("cannot write", e))?;
        }
        tx.commit().map_err(|e| self.err("cannot commit", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_round_trip_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.load().unwrap(), None);
        let mut cp = Checkpoint::default();
        cp.state.learn("secret-readers", "alice|web");
        cp.positions.push(Position {
            path: "/var/log/audit.log".into(),
            dev: 1,
            ino: 2,
            offset: 3,
            line: 4,
            done: false,
        });
        cp.output = Some(("alerts.jsonl".into(), 99));
        store.save(&cp).unwrap();
        drop(store);
        let again = Store::open(&path).unwrap().load().unwrap().unwrap();
        assert_eq!(again, cp);
        assert!(again.position(Path::new("/var/log/audit.log")).is_some());
    }

    #[test]
    fn a_file_that_is_not_a_store_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        std::fs::write(&path, b"not a database at all, just text").unwrap();
        let e = Store::open(&path).err().unwrap();
        assert!(e.to_string().contains("state.redb"), "{e}");
    }
}
