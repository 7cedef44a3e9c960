//! Reference solution of the exercise in `examples/exercise_select.rs`
//! (book chapter 16, `book/src/exercises.md`). The checks in `main` are the
//! same in both files (a test compares them).
//!
//! ```text
//! cargo run --example solution_select
//! ```

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

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // `Select` is `Unpin` because `A` and `B` are: plain `&mut` access.
        let (a, b) = self.both.as_mut().expect("Select polled after it finished");
        if let Poll::Ready(output) = Pin::new(a).poll(cx) {
            let (_, b) = self.both.take().unwrap();
            return Poll::Ready(Either::Left((output, b)));
        }
        if let Poll::Ready(output) = Pin::new(b).poll(cx) {
            let (a, _) = self.both.take().unwrap();
            return Poll::Ready(Either::Right((output, a)));
        }
        Poll::Pending // both keep the waker from `cx`: whichever is woken, we are
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
