//! The course's `gather` program, with every poll, every `Pending`/`Ready`
//! and every wake printed, stamped with the simulated clock.
//!
//! Book chapter: *The executor loop* (`book/src/executor-loop.md`). Its
//! step-by-step walk through one run is this program's output
//! (`book/src/generated/gather_steps.txt`, checked by `tests/book_examples.rs`).
//!
//! ```text
//! cargo run --example gather_steps
//! ```
//!
//! Nothing in the executor is changed for this: the tracing is a wrapper
//! future, [`Traced`], put around the futures we want to watch. It prints a
//! line when it is polled and when the inner future answers, and it hands the
//! inner future a waker of its own that prints a line when it is woken and
//! then passes the wake on to the real waker.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use busy_chef::time::{sleep, Instant};
use busy_chef::{join_all, Executor};

thread_local! {
    /// How many `Traced` polls are on the stack right now: the indentation.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Prints one trace line: the executor's time, then `line`, indented by the
/// number of traced polls that are in progress.
fn trace(line: &str) {
    let now = Instant::now().since_origin().as_secs_f64();
    let indent = "  ".repeat(DEPTH.with(Cell::get));
    println!("  [{now:5.3} s] {indent}{line}");
}

// ANCHOR: traced
/// A future that behaves exactly like `inner`, and says what happens to it.
struct Traced<F> {
    label: &'static str,
    inner: Pin<Box<F>>, // boxed, so `Traced` is `Unpin` whatever `F` is
}

fn traced<F: Future>(label: &'static str, inner: F) -> Traced<F> {
    Traced {
        label,
        inner: Box::pin(inner),
    }
}

impl<F: Future> Future for Traced<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let label = self.label;
        trace(&format!("poll {label}"));
        // The inner future gets a waker that logs, then forwards the wake to
        // the waker we were given.
        let waker = Waker::from(Arc::new(LoggingWaker {
            label,
            forward: cx.waker().clone(),
        }));
        let mut inner_cx = Context::from_waker(&waker);
        DEPTH.with(|d| d.set(d.get() + 1));
        let poll = self.inner.as_mut().poll(&mut inner_cx);
        DEPTH.with(|d| d.set(d.get() - 1));
        match &poll {
            Poll::Pending => trace(&format!("{label} -> Pending")),
            Poll::Ready(_) => trace(&format!("{label} -> Ready")),
        }
        poll
    }
}

struct LoggingWaker {
    label: &'static str,
    forward: Waker,
}

impl Wake for LoggingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        trace(&format!("wake {}", self.label));
        self.forward.wake_by_ref();
    }
}
// ANCHOR_END: traced

// ANCHOR: program
async fn download_file(name: &'static str, time_to_wait: u64) {
    println!("Starting download of {name}...");
    // Simulate a slow download
    let label = if time_to_wait == 2 {
        "sleep(2 s)"
    } else {
        "sleep(1 s)"
    };
    traced(label, sleep(Duration::from_secs(time_to_wait))).await;
    println!("Finished download of {name}!");
}

async fn async_main() {
    println!("Main Started!");
    // Start both downloads at the same time
    join_all([
        traced("File 1", download_file("File 1", 2)),
        traced("File 2", download_file("File 2", 1)),
    ])
    .await;
    println!("Main Finished!");
}
// ANCHOR_END: program

fn main() {
    let executor = Executor::simulated();
    let took = executor.block_on(traced("main", async {
        let start = Instant::now();
        async_main().await;
        start.elapsed()
    }));
    println!(
        "Took {:.2} s (the downloads wait 2 s + 1 s = 3 s in all, but at the same time)",
        took.as_secs_f64()
    );
}
