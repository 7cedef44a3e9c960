//! Waiting for several futures: one after the other, all together, or the
//! first one only; a timeout; cancelling by dropping. Timings come from the
//! simulated clock, so they are exact and the same on every run.
//!
//! Book chapter: *Gather, join, select and timeouts* (`book/src/combinators.md`);
//! its output is `book/src/generated/combinators-*.txt`, checked by
//! `tests/book_examples.rs`.
//!
//! ```text
//! cargo run --example combinators
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use busy_chef::time::{sleep, timeout, Instant};
use busy_chef::{join, join_all, spawn, Executor};

/// The executor's time, in seconds, for the printed lines.
fn now() -> String {
    format!("{:.1} s", Instant::now().since_origin().as_secs_f64())
}

/// Prints a line when it is dropped before it finished: a cancelled download.
struct CancelNotice {
    name: &'static str,
    finished: bool,
}

impl Drop for CancelNotice {
    fn drop(&mut self) {
        if !self.finished {
            println!(
                "  [{}] {} was dropped before it finished: cancelled",
                now(),
                self.name
            );
        }
    }
}

// ANCHOR: download
async fn download(name: &'static str, seconds: u64) -> &'static str {
    let mut notice = CancelNotice {
        name,
        finished: false,
    };
    sleep(Duration::from_secs(seconds)).await;
    println!("  [{}] {name} finished", now());
    notice.finished = true;
    name
}
// ANCHOR_END: download

// ANCHOR: sequential_vs_concurrent
async fn one_after_the_other() {
    let a = download("File 1", 2).await; // starts File 1, waits 2 s
    let b = download("File 2", 1).await; // only then starts File 2
    println!("  got {a} and {b}");
}

async fn with_join() {
    let (a, b) = join(download("File 1", 2), download("File 2", 1)).await;
    println!("  got {a} and {b}");
}

async fn with_join_all() {
    let names = join_all([download("File 1", 2), download("File 2", 1)]).await;
    println!("  got {names:?} (in the order given, not the order finished)");
}

async fn with_spawn() {
    let a = spawn(download("File 1", 2)); // both start now, as tasks
    let b = spawn(download("File 2", 1));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    println!("  got {a} and {b}");
}
// ANCHOR_END: sequential_vs_concurrent

// ANCHOR: select
/// The output of [`select`]: which future finished first, and its output.
#[derive(Debug)]
enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Polls both futures; the first to be ready wins, and the other is
/// dropped, which cancels it.
struct Select<A, B> {
    a: Option<A>,
    b: Option<B>,
}

/// Both futures must be `Unpin` (so that `Select` can poll them through a
/// plain `&mut`): pass `Box::pin(future)` for a future that is not.
fn select<A, B>(a: A, b: B) -> Select<A, B>
where
    A: Future + Unpin,
    B: Future + Unpin,
{
    Select {
        a: Some(a),
        b: Some(b),
    }
}

impl<A, B> Future for Select<A, B>
where
    A: Future + Unpin,
    B: Future + Unpin,
{
    type Output = Either<A::Output, B::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self; // fine: both fields are `Unpin`
        let (Some(a), Some(b)) = (this.a.as_mut(), this.b.as_mut()) else {
            panic!("Select polled after it finished");
        };
        // `a` is polled first, so if both are ready, `a` wins.
        if let Poll::Ready(output) = Pin::new(a).poll(cx) {
            this.b = None; // drop the loser: that is how it is cancelled
            this.a = None;
            return Poll::Ready(Either::Left(output));
        }
        if let Poll::Ready(output) = Pin::new(b).poll(cx) {
            this.a = None;
            this.b = None;
            return Poll::Ready(Either::Right(output));
        }
        Poll::Pending // both stored the waker from `cx`; either can wake us
    }
}
// ANCHOR_END: select

// ANCHOR: race
async fn race() {
    let winner = select(
        Box::pin(download("File 1", 2)),
        Box::pin(download("File 2", 1)),
    )
    .await;
    println!("  [{}] select returned {winner:?}", now());
}
// ANCHOR_END: race

// ANCHOR: with_timeout
async fn with_timeout() {
    let quick = timeout(Duration::from_secs(3), download("File 2", 1)).await;
    println!("  [{}] 3 s timeout on a 1 s download: {quick:?}", now());
    let slow = timeout(Duration::from_secs(1), download("File 1", 2)).await;
    println!("  [{}] 1 s timeout on a 2 s download: {slow:?}", now());
}
// ANCHOR_END: with_timeout

// ANCHOR: drop_it
async fn drop_it() {
    let future = download("File 1", 2);
    println!("  [{}] created the future; nothing has run", now());
    drop(future);
    println!("  [{}] dropped it: no download ever started", now());

    let mut started = Box::pin(download("File 2", 1));
    // Poll it once by hand: it starts its sleep and returns Pending.
    let polled = std::future::poll_fn(|cx| Poll::Ready(started.as_mut().poll(cx))).await;
    println!("  [{}] polled it once: {polled:?}", now());
    drop(started);
    println!("  [{}] dropped it mid-way", now());
}
// ANCHOR_END: drop_it

/// Runs `part` on a fresh simulated executor and prints how long it took.
fn run<F: Future<Output = ()>>(title: &str, part: impl FnOnce() -> F) {
    println!("{title}");
    let took = Executor::simulated().block_on(async {
        let start = Instant::now();
        part().await;
        start.elapsed()
    });
    println!("  took {:.1} s", took.as_secs_f64());
}

fn main() {
    run("1. one .await after the other:", one_after_the_other);
    run("2. join:", with_join);
    run("3. join_all:", with_join_all);
    run("4. spawn both, then await the handles:", with_spawn);
    run("5. select (a hand-written race):", race);
    run("6. timeout:", with_timeout);
    run("7. cancelling is dropping:", drop_it);
}
