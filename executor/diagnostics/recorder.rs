//! The recorder: the event log behind [`Hooks`](super::hooks::Hooks), and
//! what `BUSY_CHEF_TRACE` asks for.
//!
//! Book chapter: *Seeing it* (`book/src/seeing-it.md`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::Duration;

use crate::base::clock::Clock;
use crate::base::instant::Instant;
use crate::collections::wheel::TimerKey;

use super::event::{Event, Trace, What};

/// What the environment asks for, read once per process.
pub(crate) struct Defaults {
    /// `BUSY_CHEF_TRACE`: where to put each executor's trace when it is dropped.
    pub(crate) output: Option<Output>,
    /// `BUSY_CHEF_WARN_BLOCKING`, or 100 ms in debug builds.
    pub(crate) blocking: Option<Duration>,
}

#[derive(Clone, Debug)]
pub(crate) enum Output {
    /// `BUSY_CHEF_TRACE=1`: the terminal timeline, on stderr.
    Stderr,
    /// `BUSY_CHEF_TRACE=path.json`: Chrome trace-event JSON.
    Chrome(String),
    /// `BUSY_CHEF_TRACE=path.svg`: an SVG picture.
    Svg(String),
    /// `BUSY_CHEF_TRACE=path.replay.json`: a replay, to step through in the
    /// book's replay widget.
    Replay(String),
}

/// The default blocking-poll threshold (asyncio's `slow_callback_duration`).
pub(crate) const DEFAULT_BLOCKING: Duration = Duration::from_millis(100);

pub(crate) fn defaults() -> &'static Defaults {
    static DEFAULTS: OnceLock<Defaults> = OnceLock::new();
    DEFAULTS.get_or_init(|| {
        let output = std::env::var("BUSY_CHEF_TRACE").ok().and_then(|value| {
            let value = value.trim().to_string();
            if value.is_empty() || value == "0" {
                None
            } else if value.ends_with(".replay.json") {
                Some(Output::Replay(value))
            } else if value.ends_with(".json") {
                Some(Output::Chrome(value))
            } else if value.ends_with(".svg") {
                Some(Output::Svg(value))
            } else {
                Some(Output::Stderr)
            }
        });
        let blocking = match std::env::var("BUSY_CHEF_WARN_BLOCKING") {
            Ok(value) => match value.trim() {
                "off" | "0" | "" => None,
                ms => ms
                    .parse::<u64>()
                    .ok()
                    .map(Duration::from_millis)
                    .or_else(|| {
                        eprintln!(
                            "busy-chef: BUSY_CHEF_WARN_BLOCKING={ms:?} is neither a number of \
                             milliseconds nor `off`; using {DEFAULT_BLOCKING:?}"
                        );
                        Some(DEFAULT_BLOCKING)
                    }),
            },
            Err(_) if cfg!(debug_assertions) => Some(DEFAULT_BLOCKING),
            Err(_) => None,
        };
        Defaults { output, blocking }
    })
}

/// One executor's event log.
pub(crate) struct Recorder {
    clock: Rc<Clock>,
    /// Keep a copy of what `take` hands out, for `whole_run` (set when
    /// `BUSY_CHEF_TRACE` asks for the run at the executor's drop).
    keep_whole_run: bool,
    /// The executor's clock reading when it was created: trace time zero.
    origin: Instant,
    log: RefCell<Log>,
}

#[derive(Default)]
struct Log {
    start: Duration,
    events: Vec<Event>,
    /// Timers in the wheel, and their numbers in the trace.
    timers: HashMap<TimerKey, u64>,
    next_timer: u64,
    /// With `keep_whole_run`: a copy of what `take` handed out.
    taken: Vec<Event>,
}

impl Recorder {
    pub(crate) fn new(clock: Rc<Clock>, keep_whole_run: bool) -> Self {
        let origin = clock.now();
        Recorder {
            clock,
            keep_whole_run,
            origin,
            log: RefCell::new(Log::default()),
        }
    }

    /// The executor's clock.
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The executor's clock, as time since the executor was created.
    pub(crate) fn now(&self) -> Duration {
        self.since_origin(self.clock.now())
    }

    pub(crate) fn since_origin(&self, instant: Instant) -> Duration {
        instant.saturating_duration_since(self.origin)
    }

    pub(crate) fn record(&self, at: Duration, what: What) {
        self.log.borrow_mut().events.push(Event { at, what });
    }

    /// Recording starts now.
    pub(crate) fn start(&self) {
        self.log.borrow_mut().start = self.now();
    }

    /// What was recorded since the start or the last `take`.
    pub(crate) fn take(&self) -> Trace {
        let now = self.now();
        let mut log = self.log.borrow_mut();
        let events = std::mem::take(&mut log.events);
        if self.keep_whole_run {
            log.taken.extend_from_slice(&events);
        }
        let start = std::mem::replace(&mut log.start, now);
        Trace {
            start,
            end: now.max(start),
            events,
            simulated: self.clock.is_simulated(),
        }
    }

    /// Everything recorded since recording began, including what `take`
    /// handed out (with `keep_whole_run`; else what `take` would give).
    pub(crate) fn whole_run(&self) -> Trace {
        let end = self.take().end;
        let events = std::mem::take(&mut self.log.borrow_mut().taken);
        Trace {
            start: Duration::ZERO,
            end,
            events,
            simulated: self.clock.is_simulated(),
        }
    }

    /// Gives a timer its number in the trace.
    pub(crate) fn timer_registered(&self, key: TimerKey) -> u64 {
        let mut log = self.log.borrow_mut();
        let number = log.next_timer;
        log.next_timer += 1;
        log.timers.insert(key, number);
        number
    }

    /// The number of a timer in the wheel, if it has one (a timer set before
    /// recording began has none).
    pub(crate) fn timer_number(&self, key: TimerKey) -> Option<u64> {
        self.log.borrow().timers.get(&key).copied()
    }

    /// A timer left the wheel (it fired, or was cancelled): its number, if
    /// it had one.
    pub(crate) fn timer_gone(&self, key: TimerKey) -> Option<u64> {
        self.log.borrow_mut().timers.remove(&key)
    }

    pub(crate) fn events_len(&self) -> Option<usize> {
        self.log.try_borrow().map(|log| log.events.len()).ok()
    }
}

/// Writes `trace` where `BUSY_CHEF_TRACE` asked.
pub(crate) fn write_output(output: &Output, trace: &Trace) {
    let written = match output {
        Output::Stderr => {
            eprintln!("busy-chef trace (BUSY_CHEF_TRACE):\n{}", trace.timeline());
            Ok(())
        }
        Output::Chrome(path) => std::fs::write(path, trace.to_chrome_json()),
        Output::Svg(path) => std::fs::write(path, trace.to_svg()),
        Output::Replay(path) => std::fs::write(path, trace.to_replay_json()),
    };
    if let Err(e) = written {
        eprintln!("busy-chef: could not write the trace ({output:?}): {e}");
    }
}
