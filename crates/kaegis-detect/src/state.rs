//! What the detector remembers between events, and across restarts: the
//! sliding windows of threshold rules, first-seen baselines, deduplication
//! and rate-limit bookkeeping, and requests whose `ResponseStarted` stage
//! was judged (so their `ResponseComplete` is not judged again).
//!
//! Times are the events' own (microseconds since the epoch), never the
//! clock's: replaying a log gives the same alerts as following it live.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use serde::{Deserialize, Serialize};

/// Requests remembered between their `ResponseStarted` and
/// `ResponseComplete` stages; long-running requests beyond this many are
/// forgotten oldest first (their completion would then be judged again,
/// and deduplication catches the repeat).
const STARTED_CAP: usize = 100_000;

/// The detector's memory.
#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq)]
pub struct State {
    /// The first event's time: the learning period starts there.
    pub first_event: Option<i64>,
    /// The latest event time seen.
    pub last_event: i64,
    /// Sliding windows, by rule and key: the times of the events counted.
    pub windows: BTreeMap<String, VecDeque<i64>>,
    /// First-seen baselines, by name: the keys seen.
    pub baselines: BTreeMap<String, BTreeSet<String>>,
    /// Named sets rules learn from events (e.g. ClusterRoles created with
    /// wildcards), by name.
    pub facts: BTreeMap<String, BTreeSet<String>>,
    /// Deduplication: the last alert's time per rule, subject and target.
    pub dedup: BTreeMap<String, i64>,
    /// Alerts suppressed per dedup key since its last alert.
    pub suppressed: BTreeMap<String, u64>,
    /// Rate limit: alert times per rule and subject.
    pub rate: BTreeMap<String, VecDeque<i64>>,
    /// Audit IDs judged at `ResponseStarted`, by arrival number (oldest
    /// first): a request leaves when its completion arrives, the oldest
    /// when there are more than the cap.
    pub started: BTreeMap<u64, String>,
    /// Each started audit ID's arrival number (derived from `started`).
    #[serde(skip)]
    started_index: HashMap<String, u64>,
}

impl State {
    /// Rebuilds the indexes a deserialized state does not carry.
    pub fn reindex(&mut self) {
        self.started_index = self
            .started
            .iter()
            .map(|(n, id)| (id.clone(), *n))
            .collect();
    }

    /// Counts an event at `time` in the window `key` of `window_micros`,
    /// returning how many it now holds (older times are dropped).
    pub fn count_in_window(&mut self, key: &str, time: i64, window_micros: i64) -> usize {
        let w = self.windows.entry(key.to_owned()).or_default();
        w.push_back(time);
        while w.front().is_some_and(|&t| t <= time - window_micros) {
            w.pop_front();
        }
        w.len()
    }

    /// Empties a window (after it tripped).
    pub fn reset_window(&mut self, key: &str) {
        self.windows.remove(key);
    }

    /// Adds `key` to the baseline `name`; true when it was not there.
    pub fn learn(&mut self, name: &str, key: &str) -> bool {
        match self.baselines.get_mut(name) {
            Some(set) => set.insert(key.to_owned()),
            None => {
                self.baselines
                    .insert(name.to_owned(), BTreeSet::from([key.to_owned()]));
                true
            }
        }
    }

    /// True when the baseline `name` holds `key`.
    pub fn knows(&self, name: &str, key: &str) -> bool {
        self.baselines.get(name).is_some_and(|s| s.contains(key))
    }

    /// Records a fact.
    pub fn set_fact(&mut self, name: &str, key: &str, present: bool) {
        let set = self.facts.entry(name.to_owned()).or_default();
        if present {
            set.insert(key.to_owned());
        } else {
            set.remove(key);
        }
    }

    /// True when a fact was recorded.
    pub fn fact(&self, name: &str, key: &str) -> bool {
        self.facts.get(name).is_some_and(|s| s.contains(key))
    }

    /// Remembers that a request was judged at `ResponseStarted`.
    pub(crate) fn start(&mut self, audit_id: &str) {
        if self.started_index.contains_key(audit_id) {
            return;
        }
        let n = self.started.last_key_value().map_or(0, |(n, _)| n + 1);
        self.started.insert(n, audit_id.to_owned());
        self.started_index.insert(audit_id.to_owned(), n);
        if self.started.len() > STARTED_CAP
            && let Some((_, old)) = self.started.pop_first()
        {
            self.started_index.remove(&old);
        }
    }

    /// True (and forgotten) when a request was judged at `ResponseStarted`.
    pub(crate) fn finish(&mut self, audit_id: &str) -> bool {
        match self.started_index.remove(audit_id) {
            Some(n) => {
                self.started.remove(&n);
                true
            }
            None => false,
        }
    }

    /// Drops window entries, dedup and rate records older than `horizon`
    /// microseconds before the latest event, so memory stays bounded by
    /// the traffic of the horizon.
    pub fn prune(&mut self, horizon: i64) {
        let cutoff = self.last_event - horizon;
        self.windows.retain(|_, w| {
            while w.front().is_some_and(|&t| t < cutoff) {
                w.pop_front();
            }
            !w.is_empty()
        });
        self.rate.retain(|_, w| {
            while w.front().is_some_and(|&t| t < cutoff) {
                w.pop_front();
            }
            !w.is_empty()
        });
        let dedup = &mut self.dedup;
        dedup.retain(|_, t| *t >= cutoff);
        self.suppressed.retain(|k, _| dedup.contains_key(k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_slide() {
        let mut s = State::default();
        assert_eq!(s.count_in_window("k", 0, 10), 1);
        assert_eq!(s.count_in_window("k", 5, 10), 2);
        assert_eq!(s.count_in_window("k", 10, 10), 2, "time 0 fell out");
        assert_eq!(s.count_in_window("k", 30, 10), 1);
    }

    #[test]
    fn started_requests_are_judged_once_and_survive_serialization() {
        let mut s = State::default();
        s.start("a");
        let mut back: State = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        back.reindex();
        assert!(back.finish("a"));
        assert!(!back.finish("a"));
        // Order survives a finish in the middle: the oldest is evicted first.
        let mut s = State::default();
        for i in 0..=STARTED_CAP + 1 {
            s.start(&i.to_string());
            if i == 1 {
                assert!(s.finish("0"));
            }
        }
        assert!(!s.finish("1"), "the oldest left at the cap");
        assert!(s.finish("2") && s.finish(&(STARTED_CAP + 1).to_string()));
    }
}
