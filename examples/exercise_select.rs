//! Exercise: a `select` that gives the loser back (book chapter 16, `book/src/exercises.md`).
//!
//! Write `Select::poll`. The race is like chapter 10's `select`, with one
//! difference: the future that lost is returned, not dropped.
//!
//! ```text
//! cargo run --example exercise_select
//! ```
//!
//! It panics until the exercise is done; then it prints "all checks passed".
//! The reference solution is `examples/solution_select.rs`.

// Until the exercise is done, some of what it declares is unused.
#![allow(
    dead_code,
    unused_variables,
    unused_mut,
    unused_imports,
    clippy::ptr_arg
)]

// ANCHOR: setup
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use busy_chef::time::{sleep, Instant};
use busy_chef::Executor;

async fn download(name: &'static str, seconds: u64) -> &'static str {
    sleep(Duration::from_secs(seconds)).await;
    println!(
        "[{:.1} s] {name} finished",
        Instant::now().since_origin().as_secs_f64()
    );
    name
}

#[derive(Debug)]
enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Races two futures. Unlike the `select` of chapter 10, it does not drop the
/// loser: it hands it back, unfinished, next to the winner's output, so the
/// caller decides whether to keep waiting for it or to drop it.
struct Select<A, B> {
    both: Option<(A, B)>,
}

fn select<A: Future + Unpin, B: Future + Unpin>(a: A, b: B) -> Select<A, B> {
    Select { both: Some((a, b)) }
}
// ANCHOR_END: setup

// ANCHOR: poll
impl<A: Future + Unpin, B: Future + Unpin> Future for Select<A, B> {
    /// `Left((output of a, b))` if `a` finished first, `Right((output of b, a))`
    /// if `b` did. If both are ready in the same poll, `a` wins.
    type Output = Either<(A::Output, B), (B::Output, A)>;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        todo!("poll `a`, then `b`; when one is ready, return its output and the other future")
    }
}
// ANCHOR_END: poll

// ANCHOR: checks
fn main() {
    let (first, second, took) = Executor::simulated().block_on(async {
        let start = Instant::now();
        let raced = select(
            Box::pin(download("File 1", 2)),
            Box::pin(download("File 2", 1)),
        )
        .await;
        let Either::Right((first, file_1)) = raced else {
            panic!("File 2 (1 s) should beat File 1 (2 s)");
        };
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(1),
            "the race ends when File 2 finishes"
        );
        // The loser was not cancelled: it kept its place, and we can finish it.
        let second = file_1.await;
        (first, second, start.elapsed())
    });
    println!(
        "first {first}, then {second}, in {:.1} s",
        took.as_secs_f64()
    );
    assert_eq!((first, second), ("File 2", "File 1"));
    assert_eq!(
        took,
        Duration::from_secs(2),
        "File 1 kept running during the race"
    );
    // A tie: both ready at the first poll, `a` wins.
    let tie = Executor::simulated().block_on(select(std::future::ready(1), std::future::ready(2)));
    assert!(matches!(tie, Either::Left((1, _))), "{tie:?}");
    println!("all checks passed");
}
// ANCHOR_END: checks
