//! An executor's switches for seeing what it does: tracing and the
//! blocking-poll warning.
//!
//! Book chapter: *Seeing it* (`book/src/seeing-it.md`).
//!
//! Layer 4: joins the runtime's `Executor` to the diagnostics it carries.

use std::time::Duration;

use crate::diagnostics::trace::Trace;
use crate::runtime::Executor;

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
        self.core.hooks.enable_tracing();
    }

    /// Is this executor recording a trace?
    ///
    /// ```
    /// let exec = busy_chef::Executor::simulated();
    /// exec.enable_trace();
    /// assert!(exec.is_tracing());
    /// ```
    pub fn is_tracing(&self) -> bool {
        self.core.hooks.is_tracing()
    }

    /// Returns what was recorded since tracing was enabled or since the last
    /// `take_trace`, and starts a fresh recording (if tracing is on). Empty
    /// if tracing is off. With `BUSY_CHEF_TRACE` set, the variable's output
    /// (written when the executor is dropped) still shows the whole run.
    ///
    /// ```
    /// let exec = busy_chef::Executor::simulated();
    /// assert!(exec.take_trace().events.is_empty(), "not tracing: empty");
    /// ```
    pub fn take_trace(&self) -> Trace {
        self.core.hooks.take_trace()
    }

    /// Sets the *blocking poll* threshold: a poll that holds the thread
    /// longer than this prints a warning naming the task. `None` turns the
    /// check off.
    ///
    /// The default is 100 ms (asyncio's `slow_callback_duration`) in debug
    /// builds, and off in release builds: the check reads the real clock
    /// around every poll, which a debug build does not notice and a
    /// benchmark would. The environment variable `BUSY_CHEF_WARN_BLOCKING`
    /// overrides the default for every executor: a number of milliseconds,
    /// or `off`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let exec = busy_chef::Executor::simulated();
    /// exec.warn_blocking_polls(Some(Duration::from_millis(20)));
    /// exec.warn_blocking_polls(None); // off
    /// ```
    pub fn warn_blocking_polls(&self, threshold: Option<Duration>) {
        self.core.hooks.set_blocking_threshold(threshold);
    }
}
