//! Seeing it: a record of what the executor did, drawn as a timeline, and
//! warnings for the classic mistakes.
//!
//! Book chapter: *Seeing it* (`book/src/seeing-it.md`).
//!
//! This module is **not** on the reading path of the executor. The core
//! (`executor.rs`, `task.rs`, `queue.rs`) calls into it at a handful of
//! one-line hooks; when tracing is off each hook is a single test of a
//! `Cell<bool>` that is always false, so the branch predictor never misses it
//! and nothing is allocated or timed.
//!
//! ## Turning it on
//!
//! | how | what you get |
//! |---|---|
//! | `BUSY_CHEF_TRACE=1 cargo run --example gather` (any program) | every executor records; when it is dropped, its timeline is printed to stderr: everything since it was created, even what the program took with `take_trace` |
//! | `BUSY_CHEF_TRACE=trace.json` / `=trace.svg` | the same, written as Chrome trace-event JSON or as an SVG file |
//! | [`Executor::enable_trace`] | this executor records from now on |
//! | [`Executor::take_trace`] | the [`Trace`] recorded so far (recording goes on, afresh) |
//!
//! A [`Trace`] is a list of [`Event`]s stamped with the executor's clock (so
//! a simulated executor gives the same trace on every run). It renders as:
//!
//! * a terminal timeline ([`Trace::timeline`]): one row per task, time
//!   across: `█` being polled, `·` waiting, `═` a timer counting down;
//! * Chrome trace-event JSON ([`Trace::to_chrome_json`]), for Perfetto
//!   (<https://ui.perfetto.dev>) or `chrome://tracing`;
//! * an SVG picture ([`Trace::to_svg`], or [`svg`] for several traces on one
//!   time scale).
//!
//! ## Warnings
//!
//! Whether or not tracing is on, the executor explains three classic mistakes
//! on stderr (and in the trace, when it is on) instead of hanging silently:
//!
//! * **a blocking poll**: a poll that held the thread longer than a threshold
//!   (100 ms by default; see [`Executor::warn_blocking_polls`]);
//! * **a lost waker**: a spawned task returned `Pending`, is not queued, and
//!   no clone of its waker exists anywhere: nothing can ever poll it again;
//! * **a certain deadlock**: the same for `block_on`'s own future, or nothing
//!   left that could wake anything. That is a panic, not a warning: the call
//!   could never return.
//!
//! See `warn.rs` for what each check costs.

mod chrome;
mod event;
mod recorder;
mod svg;
mod timeline;
pub(crate) mod warn;

use std::time::Duration;

use crate::executor::Executor;

pub use event::{Ending, Event, PollResult, WakeSource, What};
pub(crate) use recorder::Recorder;
pub use svg::svg;
pub use timeline::Timeline;

/// What an executor recorded: a list of [`Event`]s, oldest first.
///
/// Get one with [`Executor::take_trace`]; draw it with [`Trace::timeline`],
/// [`Trace::to_svg`] or [`Trace::to_chrome_json`].
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// When recording started, on the executor's clock (time since the
    /// executor was created). Pictures start their time axis here.
    pub start: Duration,
    /// When the trace was taken: the end of the pictures' time axis.
    pub end: Duration,
    /// What happened, oldest first.
    pub events: Vec<Event>,
}

impl Trace {
    /// The terminal timeline of this trace. It implements `Display`:
    /// `println!("{}", trace.timeline())`.
    pub fn timeline(&self) -> Timeline<'_> {
        Timeline::new(self)
    }

    /// The trace in Chrome's trace-event JSON format: open it in Perfetto
    /// (<https://ui.perfetto.dev>) or `chrome://tracing`. One row ("thread")
    /// per task; polls and waits are slices, wakes and warnings are instants.
    pub fn to_chrome_json(&self) -> String {
        chrome::to_chrome_json(self)
    }

    /// The timeline as a stand-alone SVG picture.
    pub fn to_svg(&self) -> String {
        svg(&[("", self)])
    }

    /// The warnings recorded in this trace, oldest first.
    pub fn warnings(&self) -> impl Iterator<Item = &str> {
        self.events.iter().filter_map(|event| match &event.what {
            What::Warning { message, .. } => Some(message.as_str()),
            _ => None,
        })
    }

    /// How long the trace lasts.
    pub fn duration(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }
}

impl Executor {
    /// Starts recording a [`Trace`] of this executor (if it is not recording
    /// already). Recording costs an allocation now and then and two clock
    /// readings per poll; off, it costs nothing measurable.
    ///
    /// ```
    /// let exec = busy_chef::Executor::simulated();
    /// exec.enable_trace();
    /// exec.block_on(async {
    ///     busy_chef::spawn_named("toast", async {}).await.unwrap();
    /// });
    /// let trace = exec.take_trace();
    /// assert!(trace.timeline().to_string().contains("toast"));
    /// ```
    pub fn enable_trace(&self) {
        self.core.trace.enable();
    }

    /// Is this executor recording a trace?
    pub fn is_tracing(&self) -> bool {
        self.core.trace.is_enabled()
    }

    /// Returns what was recorded since tracing was enabled or since the last
    /// `take_trace`, and starts a fresh recording (if tracing is on). Empty
    /// if tracing is off. With `BUSY_CHEF_TRACE` set, the variable's output
    /// (written when the executor is dropped) still shows the whole run.
    pub fn take_trace(&self) -> Trace {
        self.core.trace.take()
    }

    /// Sets the *blocking poll* threshold: a poll that holds the thread
    /// longer than this prints a warning naming the task. `None` turns the
    /// check off.
    ///
    /// The default is 100 ms (asyncio's `slow_callback_duration`) in debug
    /// builds, and off in release builds: the check reads the real clock
    /// around every poll (about 20 ns each time), which a debug build does
    /// not notice and a benchmark would. The environment variable
    /// `BUSY_CHEF_WARN_BLOCKING` overrides the default for every executor:
    /// a number of milliseconds, or `off`.
    pub fn warn_blocking_polls(&self, threshold: Option<Duration>) {
        self.core.trace.set_blocking_threshold(threshold);
    }
}

#[cfg(test)]
mod tests {
    use crate::Executor;

    #[test]
    fn a_task_shows_its_name_in_debug_output_and_an_unnamed_one_its_id() {
        let exec = Executor::simulated();
        let named = exec.spawn_named("toast", async {});
        let unnamed = exec.spawn(async {});
        let tasks = exec.core.tasks.borrow();
        let shown: Vec<String> = tasks.iter().map(|task| format!("{task:?}")).collect();
        assert!(
            shown[0].starts_with(&format!("Task {{ name: \"toast\", id: {}", named.id())),
            "{}",
            shown[0]
        );
        let id = unnamed.id();
        assert!(
            shown[1].starts_with(&format!("Task {{ name: {id}, id: {id}")),
            "{}",
            shown[1]
        );
    }
}
