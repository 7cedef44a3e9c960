//! Reference solution of the exercise in `examples/exercise_desugar.rs`
//! (book chapter *Exercises*, `book/src/exercises.md`). The checks in `main`
//! are the same in both files (a test compares them).
//!
//! ```text
//! cargo run --example solution_desugar
//! ```

// ANCHOR: setup
use std::cell::RefCell;
use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use busy_chef::time::{sleep, Instant, Sleep};
use busy_chef::{spawn_named, Executor};

thread_local! {
    /// Every line `say` printed, for the checks to compare.
    static SAID: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Prints a line stamped with the executor's (simulated) time, and keeps it.
fn say(line: String) {
    let line = format!(
        "[{:.1} s] {line}",
        Instant::now().since_origin().as_secs_f64()
    );
    println!("  {line}");
    SAID.with(|said| said.borrow_mut().push(line));
}

/// The `async fn` to write by hand: two `.await`s, and a local (`toast`)
/// that is created between them and used after the second.
async fn breakfast(name: &'static str, toast_secs: u64) -> String {
    say(format!("{name}: toast in"));
    sleep(Duration::from_secs(toast_secs)).await;
    let toast = format!("{name}'s toast");
    say(format!("{name}: eggs in"));
    sleep(Duration::from_millis(1500)).await;
    say(format!("{toast} is ready"));
    format!("{toast} and eggs")
}
// ANCHOR_END: setup

// ANCHOR: enum
/// `breakfast(name, toast_secs)`, by hand: one variant per place the body
/// can be, each holding only what the rest of the body still needs.
enum Breakfast {
    /// Created, never polled: the arguments.
    Unresumed { name: &'static str, toast_secs: u64 },
    /// Stopped at the first `.await`: the toast's `Sleep`, and `name`, used
    /// after it. `toast_secs` is not needed any more.
    Suspend0 { name: &'static str, awaitee: Sleep },
    /// Stopped at the second `.await`: the eggs' `Sleep`, and `toast`, used
    /// after it. `name` is not needed any more: only `toast` is.
    Suspend1 { toast: String, awaitee: Sleep },
    /// The body has run to the end.
    Returned,
}

/// Calling it runs nothing: it only stores the arguments.
fn breakfast_by_hand(name: &'static str, toast_secs: u64) -> Breakfast {
    Breakfast::Unresumed { name, toast_secs }
}
// ANCHOR_END: enum

// ANCHOR: poll
impl Future for Breakfast {
    type Output = String;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        // Every field is `Unpin` (`&str`, `u64`, `String`, `Sleep`), so the
        // enum is too, and a plain `&mut` is allowed.
        let this = &mut *self;
        loop {
            match this {
                Breakfast::Unresumed { name, toast_secs } => {
                    let (name, toast_secs) = (*name, *toast_secs);
                    // From the top of the body to the first `.await`.
                    say(format!("{name}: toast in"));
                    let awaitee = sleep(Duration::from_secs(toast_secs));
                    *this = Breakfast::Suspend0 { name, awaitee };
                }
                Breakfast::Suspend0 { name, awaitee } => {
                    // The first `.await`.
                    if Pin::new(awaitee).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    // From the first `.await` to the second.
                    let name = *name;
                    let toast = format!("{name}'s toast");
                    say(format!("{name}: eggs in"));
                    let awaitee = sleep(Duration::from_millis(1500));
                    *this = Breakfast::Suspend1 { toast, awaitee }; // drops the first Sleep
                }
                Breakfast::Suspend1 { awaitee, .. } => {
                    // The second `.await`.
                    if Pin::new(awaitee).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    // The rest of the body: move `toast` out of the state,
                    // leaving `Returned` behind.
                    let Breakfast::Suspend1 { toast, .. } =
                        std::mem::replace(this, Breakfast::Returned)
                    else {
                        unreachable!("matched Suspend1 just above")
                    };
                    say(format!("{toast} is ready"));
                    return Poll::Ready(format!("{toast} and eggs"));
                }
                Breakfast::Returned => panic!("`async fn` resumed after completion"),
            }
        }
    }
}
// ANCHOR_END: poll

// ANCHOR: checks
/// Two breakfasts at once (as tasks, so that their steps interleave), with
/// the compiler's future or with yours. Returns the lines said, the outputs,
/// the time taken, and the executor's timeline (every poll and every timer,
/// drawn from its trace).
fn two_breakfasts(by_hand: bool) -> (Vec<String>, Vec<String>, Duration, String) {
    let executor = Executor::simulated();
    executor.enable_trace();
    let (outputs, took) = executor.block_on(async {
        let start = Instant::now();
        let (ann, bob) = if by_hand {
            let ann = spawn_named("Ann", breakfast_by_hand("Ann", 2));
            (ann, spawn_named("Bob", breakfast_by_hand("Bob", 1)))
        } else {
            let ann = spawn_named("Ann", async { breakfast("Ann", 2).await });
            (ann, spawn_named("Bob", async { breakfast("Bob", 1).await }))
        };
        let outputs = vec![ann.await.unwrap(), bob.await.unwrap()];
        (outputs, start.elapsed())
    });
    let trace = executor.take_trace().timeline().to_string();
    (SAID.with(|said| said.take()), outputs, took, trace)
}

/// Polls a finished future once more and returns its panic message.
fn poll_after_completion<F: Future>(future: F) -> String {
    Executor::simulated().block_on(async {
        let mut future = pin!(future);
        future.as_mut().await;
        let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = future
                .as_mut()
                .poll(&mut Context::from_waker(Waker::noop()));
        }));
        let payload = again.expect_err("a finished future polled again should panic");
        let message = payload.downcast_ref::<&str>().map(|s| s.to_string());
        message
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    })
}

fn main() {
    println!("The compiler's future:");
    let (said, outputs, took, trace) = two_breakfasts(false);
    println!("Yours:");
    let (said_by_hand, outputs_by_hand, took_by_hand, trace_by_hand) = two_breakfasts(true);
    assert_eq!(
        said_by_hand, said,
        "yours says other lines, or at other times"
    );
    assert_eq!(outputs_by_hand, outputs);
    assert_eq!(took_by_hand, took);
    assert_eq!(
        took,
        Duration::from_millis(3500),
        "Ann's 2 s toast + 1.5 s eggs"
    );
    assert!(
        trace_by_hand == trace,
        "the executor saw different polls or timers: compare\n{trace}\nwith\n{trace_by_hand}"
    );

    // Calling it runs none of the body.
    let _unpolled = breakfast_by_hand("Cid", 1);
    assert!(SAID.with(|said| said.borrow().is_empty()), "the body ran");

    // Each state keeps only what the rest of the body needs, so yours is no
    // bigger than the compiler's (which also keeps the arguments throughout).
    let yours = std::mem::size_of::<Breakfast>();
    let compilers = std::mem::size_of_val(&breakfast("Cid", 1));
    println!("size: yours {yours} bytes, the compiler's {compilers} bytes");
    assert!(yours <= compilers, "yours keeps more than it needs");

    // Polled again after `Ready`, it panics as the compiler's does.
    println!("Polled again after it finished (both panic):");
    std::panic::set_hook(Box::new(|_| {})); // the panics below are expected
    let message = poll_after_completion(breakfast_by_hand("Dee", 0));
    let compilers = poll_after_completion(breakfast("Dee", 0));
    let _ = std::panic::take_hook();
    SAID.with(|said| said.take());
    assert_eq!(message, compilers, "polled after completion");
    println!("all checks passed");
}
// ANCHOR_END: checks
