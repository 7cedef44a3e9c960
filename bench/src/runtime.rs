//! What a workload needs from a runtime: four verbs.
//!
//! Every workload in `workloads.rs` is written once, generic over
//! [`Runtime`], and compiled once per runtime (no dynamic dispatch inside a
//! measurement). Adding a runtime is one file in `runtimes/` that implements
//! this trait, plus one line in `runtimes/mod.rs`.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// A single-threaded async runtime, seen by the benchmark.
///
/// `spawn`, `sleep` and `yield_now` are called from inside the future given
/// to [`run`](Runtime::run) (or from tasks it spawned), the way application
/// code calls `tokio::spawn` or `busy_chef::spawn`: with no runtime argument.
pub trait Runtime {
    /// The column heading in the tables.
    const NAME: &'static str;
    /// The crates behind it (shown under the tables).
    const CRATES: &'static str;

    /// Builds a fresh runtime on this thread, runs `future` to completion on
    /// it, drops the runtime and returns the output.
    fn run<F: Future>(future: F) -> F::Output;

    /// Spawns a task and returns a future for its output (a panic in the
    /// task is a bug in the benchmark: the returned future panics too).
    fn spawn<F>(future: F) -> impl Future<Output = F::Output> + 'static
    where
        F: Future + 'static,
        F::Output: 'static;

    /// Spawns a task that runs to completion on its own (no handle).
    fn spawn_detached<F>(future: F)
    where
        F: Future<Output = ()> + 'static;

    /// The runtime's own timer.
    fn sleep(duration: Duration) -> impl Future<Output = ()>;

    /// The runtime's own "let the others run": wake myself, return `Pending`.
    fn yield_now() -> impl Future<Output = ()>;
}

/// A join handle whose output is a `Result`, unwrapped: the peers report a
/// panicked task in different ways, the workloads do not panic.
pub struct Unwrap<H>(pub H);

impl<H, T, E> Future for Unwrap<H>
where
    H: Future<Output = Result<T, E>> + Unpin,
    E: Debug,
{
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match Pin::new(&mut self.0).poll(cx) {
            Poll::Ready(result) => Poll::Ready(result.expect("a benchmark task failed")),
            Poll::Pending => Poll::Pending,
        }
    }
}
