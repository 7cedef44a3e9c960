//! The course's `gather` program with every `async fn`, `async` block and
//! `.await` written out by hand: the state machines the compiler would
//! generate, as plain enums that implement std's `Future`.
//!
//! Book chapter: *Desugaring `async fn` and `.await`* (`book/src/desugaring.md`).
//! `tests/book_examples.rs` asserts that this program prints exactly what
//! `examples/gather.rs` prints, line for line.
//!
//! ```text
//! cargo run --example desugared                # real clock: takes ~2 s
//! cargo run --example desugared -- --simulated # simulated clock: instant
//! ```
//!
//! The program itself (`DownloadFile`, `AsyncMain`, `Timed` and `main`) has
//! no `async` and no `.await`; the only futures it does not write are the
//! executor's own leaves and combinators (`Sleep`, `JoinAll`). Two modules at
//! the end do use `async`, on purpose, and are not part of the program:
//! `with_async`, the course's original, whose futures `--sizes` measures
//! against ours, and `growth`, small `async fn`s that show what makes a
//! future grow.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use busy_chef::time::{sleep, Instant, Sleep};
use busy_chef::{join_all, Executor, JoinAll};

// ANCHOR: download_file_enum
/// `async fn download_file(name: &str, time_to_wait: u64)`, by hand.
///
/// One variant per place the body can be: before it starts, stopped at its
/// one `.await`, finished. A variant holds exactly the locals that are still
/// needed from that point on.
enum DownloadFile<'a> {
    /// Created, never polled: holds the arguments.
    Unresumed { name: &'a str, time_to_wait: u64 },
    /// Stopped at `sleep(...).await`: holds the `Sleep` being awaited, and
    /// `name`, which the code after the `.await` still uses. `time_to_wait`
    /// is not used after the `.await`, so it is not kept.
    Suspend0 { name: &'a str, awaitee: Sleep },
    /// The body has run to the end.
    Returned,
}

/// Calling the `async fn` runs none of its body: it only stores the
/// arguments in the first state.
fn download_file(name: &str, time_to_wait: u64) -> DownloadFile<'_> {
    DownloadFile::Unresumed { name, time_to_wait }
}
// ANCHOR_END: download_file_enum

// ANCHOR: download_file_poll
impl Future for DownloadFile<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Every field here is `Unpin` (`&str`, `u64`, `Sleep`), so the whole
        // enum is `Unpin` and we may take a plain `&mut` to it. (Chapter 12
        // is about the futures for which this is not true.)
        let this = &mut *self;
        loop {
            match this {
                DownloadFile::Unresumed { name, time_to_wait } => {
                    // Copy the arguments out of the state (both are `Copy`).
                    let (name, time_to_wait) = (*name, *time_to_wait);
                    // The code from the start of the body to the first `.await`:
                    println!("Starting download of {name}...");
                    let awaitee = sleep(Duration::from_secs(time_to_wait));
                    // Move to the next state, keeping only what is needed
                    // later. Then go round the loop: the `.await` polls the
                    // sleep right away, in this same call.
                    *this = DownloadFile::Suspend0 { name, awaitee };
                }
                DownloadFile::Suspend0 { name, awaitee } => {
                    // `.await`: poll the inner future; if it is Pending,
                    // return Pending (and come back here at the next poll).
                    match Pin::new(awaitee).poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(()) => {}
                    }
                    // Ready: the sleep is finished. The code after the `.await`:
                    let name = *name;
                    *this = DownloadFile::Returned; // drops the finished Sleep
                    println!("Finished download of {name}!");
                    return Poll::Ready(());
                }
                DownloadFile::Returned => panic!("`async fn` resumed after completion"),
            }
        }
    }
}
// ANCHOR_END: download_file_poll

// ANCHOR: async_main
/// `async fn async_main()`, by hand. Its one `.await` is on the `join_all`.
enum AsyncMain {
    Unresumed,
    Suspend0 {
        awaitee: JoinAll<DownloadFile<'static>>,
    },
    Returned,
}

fn async_main() -> AsyncMain {
    AsyncMain::Unresumed
}

impl Future for AsyncMain {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self; // `JoinAll` is `Unpin`, so `AsyncMain` is too
        loop {
            match this {
                AsyncMain::Unresumed => {
                    println!("Main Started!");
                    // Start both downloads at the same time
                    let awaitee =
                        join_all([download_file("File 1", 2), download_file("File 2", 1)]);
                    *this = AsyncMain::Suspend0 { awaitee };
                }
                AsyncMain::Suspend0 { awaitee } => {
                    match Pin::new(awaitee).poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(_outputs) => {} // a Vec of two `()`s
                    }
                    *this = AsyncMain::Returned;
                    println!("Main Finished!");
                    return Poll::Ready(());
                }
                AsyncMain::Returned => panic!("`async fn` resumed after completion"),
            }
        }
    }
}
// ANCHOR_END: async_main

// ANCHOR: timed_block
/// The `async { let start = Instant::now(); async_main().await; start.elapsed() }`
/// block that `main` hands to `block_on`, by hand. `start` is a local that
/// lives across the `.await`, so the suspended state stores it.
enum Timed {
    Unresumed,
    Suspend0 { start: Instant, awaitee: AsyncMain },
    Returned,
}

impl Future for Timed {
    type Output = Duration;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Duration> {
        let this = &mut *self;
        loop {
            match this {
                Timed::Unresumed => {
                    let start = Instant::now();
                    *this = Timed::Suspend0 {
                        start,
                        awaitee: async_main(),
                    };
                }
                Timed::Suspend0 { start, awaitee } => {
                    match Pin::new(awaitee).poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(()) => {}
                    }
                    let elapsed = start.elapsed();
                    *this = Timed::Returned;
                    return Poll::Ready(elapsed);
                }
                // rustc's message says "fn" for `async` blocks too.
                Timed::Returned => panic!("`async fn` resumed after completion"),
            }
        }
    }
}
// ANCHOR_END: timed_block

// ANCHOR: original
/// The same program as the course wrote it (and as `examples/gather.rs` has
/// it), kept here only to compare the sizes of its futures with ours.
mod with_async {
    use std::time::Duration;

    use busy_chef::join_all;
    use busy_chef::time::{sleep, Instant};

    pub async fn download_file(name: &str, time_to_wait: u64) {
        println!("Starting download of {name}...");
        sleep(Duration::from_secs(time_to_wait)).await;
        println!("Finished download of {name}!");
    }

    pub async fn async_main() {
        println!("Main Started!");
        join_all([download_file("File 1", 2), download_file("File 2", 1)]).await;
        println!("Main Finished!");
    }

    // An `async` block on purpose: it is the block `gather.rs` hands to `block_on`.
    #[allow(clippy::manual_async_fn)]
    pub fn timed() -> impl std::future::Future<Output = Duration> {
        async {
            let start = Instant::now();
            async_main().await;
            start.elapsed()
        }
    }
}
// ANCHOR_END: original

// ANCHOR: growth
/// What makes a future big: only what lives across an `.await`.
mod growth {
    use busy_chef::yield_now;

    /// A 1 KiB buffer in an inner block that ends before the `.await`: its
    /// storage is gone by the time the future suspends, so it is not kept.
    pub async fn buffer_gone_before_await() {
        {
            let buffer = [1u8; 1024];
            println!("{}", buffer.iter().map(|&b| b as u32).sum::<u32>());
        }
        yield_now().await;
    }

    /// The same buffer, not used after the `.await` but still in scope
    /// there: the compiler keeps it (it goes by scope, not by last use).
    pub async fn buffer_in_scope_at_await() {
        let buffer = [1u8; 1024];
        println!("{}", buffer.iter().map(|&b| b as u32).sum::<u32>());
        yield_now().await;
    }

    /// The same buffer, used after the `.await`: it must be kept.
    pub async fn buffer_across_await() {
        let buffer = [1u8; 1024];
        yield_now().await;
        println!("{}", buffer.iter().map(|&b| b as u32).sum::<u32>());
    }

    /// Awaiting a future stores it inside: this one contains the one above.
    pub async fn awaits_the_big_one() {
        buffer_across_await().await;
    }

    /// Boxing the inner future stores only a pointer.
    pub async fn awaits_it_boxed() {
        Box::pin(buffer_across_await()).await;
    }
}
// ANCHOR_END: growth

// ANCHOR: sizes
fn print_sizes() {
    use std::mem::size_of_val;
    // Creating a future runs none of its code, so we can measure without
    // running anything. `sleep` and `join_all` need a running executor to
    // read the clock from, so we measure inside `block_on`.
    Executor::simulated().block_on(async {
        println!("future                               async  by hand");
        let row = |what: &str, with_async: usize, by_hand: usize| {
            println!("{what:<36} {with_async:>5}  {by_hand:>7}");
        };
        let sleep_size = size_of_val(&sleep(Duration::from_secs(1)));
        row("sleep(..)  (a leaf: Sleep)", sleep_size, sleep_size);
        row(
            "download_file(\"File 1\", 2)",
            size_of_val(&with_async::download_file("File 1", 2)),
            size_of_val(&download_file("File 1", 2)),
        );
        row(
            "join_all([download_file(..); 2])",
            size_of_val(&join_all([
                with_async::download_file("File 1", 2),
                with_async::download_file("File 2", 1),
            ])),
            size_of_val(&join_all([
                download_file("File 1", 2),
                download_file("File 2", 1),
            ])),
        );
        row(
            "async_main()",
            size_of_val(&with_async::async_main()),
            size_of_val(&async_main()),
        );
        row(
            "async { .. async_main().await .. }",
            size_of_val(&with_async::timed()),
            size_of_val(&Timed::Unresumed),
        );
        println!();
        println!("what lives across an .await            size");
        let row = |what: &str, size: usize| println!("{what:<36} {size:>7}");
        row(
            "buffer_gone_before_await()",
            size_of_val(&growth::buffer_gone_before_await()),
        );
        row(
            "buffer_in_scope_at_await()",
            size_of_val(&growth::buffer_in_scope_at_await()),
        );
        row(
            "buffer_across_await()",
            size_of_val(&growth::buffer_across_await()),
        );
        row(
            "awaits_the_big_one()",
            size_of_val(&growth::awaits_the_big_one()),
        );
        row("awaits_it_boxed()", size_of_val(&growth::awaits_it_boxed()));
    });
}
// ANCHOR_END: sizes

fn main() {
    if std::env::args().any(|arg| arg == "--sizes") {
        print_sizes();
        return;
    }
    let simulated = std::env::args().any(|arg| arg == "--simulated");
    // ANCHOR: run
    let executor = if simulated {
        Executor::simulated()
    } else {
        Executor::new()
    };
    let took = executor.block_on(Timed::Unresumed);
    println!(
        "Took {:.2} s (the downloads wait 2 s + 1 s = 3 s in all, but at the same time)",
        took.as_secs_f64()
    );
    // ANCHOR_END: run
}
