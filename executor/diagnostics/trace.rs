//! Seeing it: a record of what the executor did, drawn as a timeline, and
//! warnings for the classic mistakes.
//!
//! Book chapter: *Seeing it* (`book/src/seeing-it.md`).
//!
//! This module is **not** on the reading path of the executor. The runtime
//! calls its hooks (`diagnostics/hooks.rs`) at a handful of points; when
//! tracing is off each hook is a single test of a flag, and nothing is
//! allocated or timed.
//!
//! ## Turning it on
//!
//! | how | what you get |
//! |---|---|
//! | `BUSY_CHEF_TRACE=1 cargo run --example gather` (any program) | every executor records; when it is dropped, its timeline is printed to stderr: everything since it was created, even what the program took with `take_trace` |
//! | `BUSY_CHEF_TRACE=trace.json` / `=trace.svg` | the same, written as Chrome trace-event JSON or as an SVG file |
//! | `BUSY_CHEF_TRACE=run.replay.json` | the same, as a replay to step through in the book's replay widget |
//! | [`Executor::enable_trace`](crate::Executor::enable_trace) | this executor records from now on |
//! | [`Executor::take_trace`](crate::Executor::take_trace) | the [`Trace`] recorded so far (recording goes on, afresh) |
//!
//! A [`Trace`] is a list of [`Event`]s stamped with the executor's clock (so
//! a simulated executor gives the same trace on every run). It renders as:
//!
//! * a terminal timeline ([`Trace::timeline`]): one row per task, time
//!   across: `█` being polled, `·` waiting, `═` a timer counting down;
//! * Chrome trace-event JSON ([`Trace::to_chrome_json`]), for Perfetto
//!   (<https://ui.perfetto.dev>) or `chrome://tracing`;
//! * an SVG picture ([`Trace::to_svg`], or [`svg`] for several traces on one
//!   time scale);
//! * a replay ([`Trace::to_replay_json`]): every step of the executor, to
//!   watch the run queue, the timer wheel and the tasks change in the book's
//!   replay widget (chapter *Watching it run*).
//!
//! ## Warnings
//!
//! Whether or not tracing is on, the executor explains three classic mistakes
//! on stderr (and in the trace, when it is on) instead of hanging silently:
//!
//! * **a blocking poll**: a poll that held the thread longer than a threshold
//!   (100 ms by default; see [`Executor::warn_blocking_polls`](crate::Executor::warn_blocking_polls));
//! * **a lost waker**: a spawned task returned `Pending`, is not queued, and
//!   no clone of its waker exists anywhere: nothing can ever poll it again;
//! * **a certain deadlock**: the same for `block_on`'s own future, or nothing
//!   left that could wake anything. That is a panic, not a warning: the call
//!   could never return.
//!
//! See `warnings.rs` for what each check costs.

use std::time::Duration;

pub use super::event::{Door, Ending, Event, PollResult, Trace, WakeSource, What};
pub use super::render::{svg, Timeline};
/// Where a timer waits in the wheel ([`What::TimerPlaced`]).
pub use crate::collections::wheel::Place as TimerPlace;

impl Trace {
    /// The terminal timeline of this trace. It implements `Display`:
    /// `println!("{}", trace.timeline())`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::time::sleep;
    ///
    /// let exec = busy_chef::Executor::simulated();
    /// exec.enable_trace();
    /// exec.block_on(async {
    ///     busy_chef::spawn_named("eggs", sleep(Duration::from_secs(2))).await.unwrap();
    /// });
    /// let picture = exec.take_trace().timeline().to_string();
    /// let eggs = picture.lines().find(|line| line.starts_with("eggs")).unwrap();
    /// assert!(eggs.ends_with("done at 2 s, 2 polls"), "{eggs}");
    /// ```
    pub fn timeline(&self) -> Timeline<'_> {
        Timeline::new(self)
    }

    /// The trace in Chrome's trace-event JSON format: open it in Perfetto
    /// (<https://ui.perfetto.dev>) or `chrome://tracing`. One row ("thread")
    /// per task; polls and waits are slices, wakes and warnings are instants.
    ///
    /// ```
    /// let exec = busy_chef::Executor::simulated();
    /// exec.enable_trace();
    /// exec.block_on(async { busy_chef::spawn_named("eggs", async {}).await.unwrap() });
    /// let json = exec.take_trace().to_chrome_json();
    /// assert!(json.starts_with('{') && json.contains(r#""traceEvents":["#));
    /// assert!(json.contains(r#""name":"eggs (task-"#), "a row named after the task");
    /// ```
    pub fn to_chrome_json(&self) -> String {
        super::render::to_chrome_json(self)
    }

    /// The trace as a replay: JSON to step through in the book's replay
    /// widget (chapter *Watching it run*), one step per
    /// thing the executor did: the run queue, the timer wheel and every task
    /// at each step. `BUSY_CHEF_TRACE=run.replay.json` writes one for any
    /// program. The format is versioned and documented in
    /// `executor/diagnostics/render/replay.rs` and in the book.
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::time::sleep;
    ///
    /// let exec = busy_chef::Executor::simulated();
    /// exec.enable_trace();
    /// exec.block_on(async {
    ///     busy_chef::spawn_named("eggs", sleep(Duration::from_millis(1500))).await.unwrap();
    /// });
    /// let json = exec.take_trace().to_replay_json();
    /// assert!(json.starts_with(r#"{"format":"busy-chef-replay","version":1,"#));
    /// assert!(json.contains(r#""do":"spawn","task":2,"name":"eggs","by":1,"door":"local""#));
    /// // 1,500 ms = 23·64 + 28: level 1, slot 23; at 1,472 ms it cascades to level 0.
    /// assert!(json.contains(r#""deadline":1500000,"place":[1,23]"#));
    /// assert!(json.contains(r#""do":"cascade","timer":0,"from":[1,23],"to":[0,28]"#));
    /// assert!(json.contains(r#""do":"fire","timer":0,"from":[0,28],"woke":[2]"#));
    /// ```
    pub fn to_replay_json(&self) -> String {
        super::render::to_replay_json(self)
    }

    /// The timeline as a stand-alone SVG picture (one panel of [`svg`]).
    ///
    /// ```
    /// let exec = busy_chef::Executor::simulated();
    /// exec.enable_trace();
    /// exec.block_on(async { busy_chef::spawn_named("eggs", async {}).await.unwrap() });
    /// let picture = exec.take_trace().to_svg();
    /// assert!(picture.starts_with("<svg") && picture.trim_end().ends_with("</svg>"));
    /// assert!(picture.contains(">eggs<"));
    /// ```
    pub fn to_svg(&self) -> String {
        svg(&[("", self)])
    }

    /// The warnings recorded in this trace, oldest first (the same texts
    /// went to stderr).
    ///
    /// ```
    /// let exec = busy_chef::Executor::simulated();
    /// exec.enable_trace();
    /// exec.block_on(async {
    ///     // `pending()` drops its waker: nothing can ever wake this task.
    ///     let _stuck = busy_chef::spawn(std::future::pending::<()>());
    ///     busy_chef::yield_now().await;
    /// });
    /// let trace = exec.take_trace();
    /// let warnings: Vec<&str> = trace.warnings().collect();
    /// assert_eq!(warnings.len(), 1);
    /// assert!(warnings[0].contains("no clone of its waker exists"));
    /// ```
    pub fn warnings(&self) -> impl Iterator<Item = &str> {
        self.events.iter().filter_map(|event| match &event.what {
            What::Warning { message, .. } => Some(message.as_str()),
            _ => None,
        })
    }

    /// How long the trace lasts: from the start of recording (or the last
    /// `take_trace`) to this trace's `take_trace`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::time::sleep;
    ///
    /// let exec = busy_chef::Executor::simulated();
    /// exec.enable_trace();
    /// exec.block_on(async { sleep(Duration::from_secs(2)).await });
    /// assert_eq!(exec.take_trace().duration(), Duration::from_secs(2));
    /// exec.block_on(async { sleep(Duration::from_secs(3)).await });
    /// assert_eq!(exec.take_trace().duration(), Duration::from_secs(3));
    /// ```
    pub fn duration(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }
}
