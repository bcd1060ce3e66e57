//! The detector: runs every rule on each event, once per request, and turns
//! hits into alerts through deduplication and the rate limit.

use std::collections::BTreeMap;

use crate::alert::Alert;
use crate::event::Event;
use crate::rule::{Hit, Rule, RuleContext};
use crate::settings::Settings;
use crate::state::State;

/// How far back state is kept (windows, dedup, rate records): the longest
/// window any setting may ask for is clipped to this.
const PRUNE_HORIZON_MICROS: i64 = 24 * 3600 * 1_000_000;
/// Prune after this many events.
const PRUNE_EVERY: u64 = 65_536;

/// Counters of one run (the server exports them as Prometheus metrics).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Events judged.
    pub events: u64,
    /// Events skipped: `RequestReceived`, or the completion of a request
    /// judged when its response started.
    pub skipped: u64,
    /// Alerts raised, by rule slug.
    pub alerts: BTreeMap<String, u64>,
    /// Alerts suppressed by deduplication or the rate limit, by rule slug.
    pub suppressed: BTreeMap<String, u64>,
}

/// The detector.
pub struct Detector {
    rules: Vec<Box<dyn Rule>>,
    settings: Settings,
    state: State,
    stats: Stats,
    hits: Vec<Hit>,
}

impl Detector {
    /// A detector running `rules` with `settings`, starting from `state`.
    pub fn new(rules: Vec<Box<dyn Rule>>, settings: Settings, mut state: State) -> Self {
        state.reindex();
        Self {
            rules,
            settings,
            state,
            stats: Stats::default(),
            hits: Vec::new(),
        }
    }

    /// The rules it runs.
    pub fn rules(&self) -> &[Box<dyn Rule>] {
        &self.rules
    }

    /// Its settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Its memory, to persist.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// This run's counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Judges one event, pushing its alerts.
    pub fn process(&mut self, ev: &Event<'_>, out: &mut Vec<Alert>) {
        // A request is judged once: at ResponseStarted when it has one
        // (exec, attach, port-forward, watch: the stream may last hours),
        // else at ResponseComplete or Panic. RequestReceived has no outcome.
        match &*ev.stage {
            "RequestReceived" => {
                self.stats.skipped += 1;
                return;
            }
            "ResponseStarted" => self.state.start(&ev.audit_id),
            _ => {
                if !ev.audit_id.is_empty() && self.state.finish(&ev.audit_id) {
                    self.stats.skipped += 1;
                    return;
                }
            }
        }
        let time = ev.time_micros().unwrap_or(self.state.last_event);
        if self.state.first_event.is_none() {
            self.state.first_event = Some(time);
        }
        self.state.last_event = self.state.last_event.max(time);
        self.stats.events += 1;
        if self.stats.events.is_multiple_of(PRUNE_EVERY) {
            self.state.prune(PRUNE_HORIZON_MICROS);
        }
        for rule in &self.rules {
            let mut cx = RuleContext {
                settings: &self.settings,
                state: &mut self.state,
                time,
            };
            rule.evaluate(ev, &mut cx, &mut self.hits);
            if self.hits.is_empty() {
                continue;
            }
            let meta = rule.meta();
            for hit in std::mem::take(&mut self.hits) {
                let subject = &ev.acting_user().username;
                let key = format!("{}\0{}\0{}", meta.slug, subject, hit.dedup_key);
                let dedup_window = self.settings.dedup_window_secs * 1_000_000;
                let repeated = self
                    .state
                    .dedup
                    .get(&key)
                    .is_some_and(|&last| time - last < dedup_window);
                let rate_key = format!("{}\0{}", meta.slug, subject);
                let limit = self.settings.rate_limit;
                let over_rate = !repeated && {
                    let w = self.state.rate.entry(rate_key).or_default();
                    while w
                        .front()
                        .is_some_and(|&t| t <= time - limit.window_secs * 1_000_000)
                    {
                        w.pop_front();
                    }
                    let over = w.len() >= limit.count as usize;
                    if !over {
                        w.push_back(time);
                    }
                    over
                };
                if repeated || over_rate {
                    *self.state.suppressed.entry(key).or_default() += 1;
                    *self
                        .stats
                        .suppressed
                        .entry(meta.slug.to_owned())
                        .or_default() += 1;
                    continue;
                }
                let suppressed = self.state.suppressed.remove(&key).unwrap_or(0);
                self.state.dedup.insert(key, time);
                *self.stats.alerts.entry(meta.slug.to_owned()).or_default() += 1;
                out.push(Alert::new(meta, hit, ev, time, suppressed));
            }
        }
    }
}
