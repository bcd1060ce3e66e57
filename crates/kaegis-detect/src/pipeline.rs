//! From lines to sinks: decode, detect, emit. One [`Pipeline`] serves every
//! input (files, a followed log, the webhook backend) so they raise the
//! same alerts from the same events.

use std::io::Write;

use crate::alert::Alert;
use crate::engine::Detector;
use crate::event::{DecodeError, Event, for_each};

/// Where alerts go.
pub trait Sink: Send {
    /// Takes one alert. An error is fatal for this sink (e.g. a closed
    /// pipe); sinks that can retry (a webhook) retry on their own.
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()>;

    /// Makes what was emitted durable or delivered as far as this sink can
    /// (flushes buffers). Called before the read position is saved.
    fn flush(&mut self) -> std::io::Result<()>;

    /// Pushes buffered output on without waiting for a remote receiver:
    /// what a server calls between batches, where [`Sink::flush`] would
    /// hold detection up behind a slow webhook. Defaults to `flush`.
    fn flush_buffers(&mut self) -> std::io::Result<()> {
        self.flush()
    }
}

/// JSON lines to any writer (standard output, a file).
pub struct JsonLines<W: Write + Send> {
    out: W,
}

impl<W: Write + Send> JsonLines<W> {
    /// A sink writing one alert per line to `out`.
    pub fn new(out: W) -> Self {
        Self { out }
    }

    /// The writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }
}

impl<W: Write + Send> Sink for JsonLines<W> {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, alert)?;
        self.out.write_all(b"\n")
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// The detector and its sinks.
pub struct Pipeline {
    detector: Detector,
    sinks: Vec<Box<dyn Sink>>,
    alerts: Vec<Alert>,
    /// Lines that were not audit events.
    pub malformed: u64,
    /// Events decoded.
    pub events: u64,
    /// Alerts emitted.
    pub emitted: u64,
    worst: Option<kaegis_core::Severity>,
}

impl Pipeline {
    /// A pipeline from a detector to `sinks`.
    pub fn new(detector: Detector, sinks: Vec<Box<dyn Sink>>) -> Self {
        Self {
            detector,
            sinks,
            alerts: Vec::new(),
            malformed: 0,
            events: 0,
            emitted: 0,
            worst: None,
        }
    }

    /// The detector.
    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    /// The most severe alert emitted so far.
    pub fn worst(&self) -> Option<kaegis_core::Severity> {
        self.worst
    }

    /// Decodes one line (an event or an EventList) and judges its events;
    /// a line that is not an audit event is counted and its error returned
    /// for the caller to report with its position.
    pub fn line(&mut self, line: &[u8]) -> Result<usize, PipelineError> {
        let Self {
            detector, alerts, ..
        } = self;
        match for_each(line, |ev| detector.process(ev, alerts)) {
            Ok(n) => {
                self.events += n as u64;
                self.emit()?;
                Ok(n)
            }
            Err(e) => {
                self.malformed += 1;
                Err(PipelineError::Decode(e))
            }
        }
    }

    /// Judges one decoded event.
    pub fn event(&mut self, ev: &Event<'_>) -> Result<(), PipelineError> {
        self.detector.process(ev, &mut self.alerts);
        self.events += 1;
        self.emit()
    }

    /// Gives every alert to every sink, even after one sink failed (one
    /// broken sink must not starve the others); returns the first error.
    fn emit(&mut self) -> Result<(), PipelineError> {
        let mut first = None;
        for alert in self.alerts.drain(..) {
            self.emitted += 1;
            self.worst = self.worst.max(Some(alert.severity));
            for sink in &mut self.sinks {
                if let Err(e) = sink.emit(&alert) {
                    first.get_or_insert(e);
                }
            }
        }
        first.map_or(Ok(()), |e| Err(PipelineError::Sink(e)))
    }

    /// Adds a sink (e.g. one counting alerts for metrics).
    pub fn add_sink(&mut self, sink: Box<dyn Sink>) {
        self.sinks.push(sink);
    }

    /// Flushes every sink (all of them, even after one failed); returns
    /// the first error.
    pub fn flush(&mut self) -> Result<(), PipelineError> {
        let mut first = None;
        for sink in &mut self.sinks {
            if let Err(e) = sink.flush() {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), |e| Err(PipelineError::Sink(e)))
    }
}

impl Pipeline {
    /// [`Sink::flush_buffers`] on every sink; returns the first error.
    pub fn flush_buffers(&mut self) -> Result<(), PipelineError> {
        let mut first = None;
        for sink in &mut self.sinks {
            if let Err(e) = sink.flush_buffers() {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), |e| Err(PipelineError::Sink(e)))
    }
}

/// What can go wrong with one line.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The line is not an audit event (counted; the rest goes on).
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A sink failed (fatal).
    #[error("cannot write an alert: {0}")]
    Sink(std::io::Error),
}
