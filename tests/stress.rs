//! Stress: several OS threads wake many tasks at random while timers fire.
//!
//! Each task waits for a number of *signals*; each signal is sent by one of
//! the waker threads, which pick a task at random, count a signal for it and
//! call its waker (and sometimes call the waker with no signal at all: a
//! spurious wake, which the contract allows). Between waits the tasks sleep
//! on our timers, and a ticker task runs an `interval` throughout. Threads go
//! on waking tasks that have already finished (stale wakes).
//!
//! What must hold, whatever the interleaving:
//!
//! * every task completes exactly once, with its own output;
//! * no future is polled after it returned `Ready`, and each is dropped once;
//! * nothing is lost: every task finishes (a lost wake would leave one
//!   waiting forever; the run is bounded and fails instead of hanging).
//!
//! Sizes are modest by default (about a second). For a longer run, set
//! `BUSY_CHEF_STRESS=N` to multiply the number of tasks and signals by `N`,
//! e.g. `BUSY_CHEF_STRESS=20 cargo test --release --test stress`.

mod xorshift;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use busy_chef::time::{interval, sleep};
use busy_chef::{join_all, spawn, Executor};
use futures_lite::future;
use xorshift::Rng;

/// How long the whole run may take before it counts as hung.
const PATIENCE: Duration = Duration::from_secs(60);

/// The size multiplier from `BUSY_CHEF_STRESS` (default 1).
fn scale() -> usize {
    match std::env::var("BUSY_CHEF_STRESS") {
        Ok(value) => value.parse().ok().filter(|&n| n >= 1).unwrap_or_else(|| {
            panic!("BUSY_CHEF_STRESS must be a whole number ≥ 1, not {value:?}")
        }),
        Err(_) => 1,
    }
}

/// What a waker thread and a task share.
#[derive(Debug, Default)]
struct Mailbox {
    signals: AtomicU64,
    waker: Mutex<Option<Waker>>,
}

/// Waits until `mailbox` has received at least `target` signals.
struct Signal<'a> {
    mailbox: &'a Mailbox,
    target: u64,
}

impl Future for Signal<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.mailbox.signals.load(Ordering::Acquire) >= self.target {
            return Poll::Ready(());
        }
        *self.mailbox.waker.lock().unwrap() = Some(cx.waker().clone());
        // Check again: a signal sent between the load and the store above
        // found no waker (or the old one); without this it could be lost.
        if self.mailbox.signals.load(Ordering::Acquire) >= self.target {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// Counters kept by [`Checked`].
#[derive(Debug, Default)]
struct Tally {
    polls_after_ready: AtomicUsize,
    drops: AtomicUsize,
}

/// Wraps a task's future and reports a poll after `Ready` and every drop.
struct Checked<F> {
    future: Pin<Box<F>>,
    ready: bool,
    tally: Arc<Tally>,
}

impl<F: Future> Future for Checked<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if self.ready {
            self.tally.polls_after_ready.fetch_add(1, Ordering::SeqCst);
            return Poll::Pending;
        }
        let poll = self.future.as_mut().poll(cx);
        if poll.is_ready() {
            self.ready = true;
        }
        poll
    }
}

impl<F> Drop for Checked<F> {
    fn drop(&mut self) {
        self.tally.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Debug)]
struct Sizes {
    tasks: usize,
    rounds: u64,
    threads: usize,
}

fn stress(executor: Executor, sizes: Sizes, seed: u64) {
    let Sizes {
        tasks,
        rounds,
        threads,
    } = sizes;
    let mailboxes: Arc<Vec<Mailbox>> = Arc::new((0..tasks).map(|_| Mailbox::default()).collect());
    let completions: Arc<Vec<AtomicUsize>> =
        Arc::new((0..tasks).map(|_| AtomicUsize::new(0)).collect());
    let finished = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());

    // The waker threads: signal random tasks until told to stop.
    let wakers: Vec<_> = (0..threads)
        .map(|t| {
            let (mailboxes, stop) = (mailboxes.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut rng = Rng::new(seed ^ (0x9E37_79B9 * (t as u64 + 1)));
                let (mut signals, mut spurious) = (0u64, 0u64);
                // Bounded: the test stops us, or we give up.
                let give_up = std::time::Instant::now() + PATIENCE;
                while !stop.load(Ordering::SeqCst) && std::time::Instant::now() < give_up {
                    let mailbox = &mailboxes[rng.index(mailboxes.len())];
                    let is_signal = rng.below(8) != 0;
                    if is_signal {
                        mailbox.signals.fetch_add(1, Ordering::Release);
                        signals += 1;
                    } else {
                        spurious += 1;
                    }
                    let waker = mailbox.waker.lock().unwrap().clone();
                    if let Some(waker) = waker {
                        if rng.below(2) == 0 {
                            waker.wake();
                        } else {
                            waker.wake_by_ref();
                        }
                    }
                    if rng.below(64) == 0 {
                        std::thread::yield_now();
                    }
                }
                (signals, spurious)
            })
        })
        .collect();

    // The watchdog bounds the run in real time (a simulated clock's own
    // timeout could pass in a blink): after 60 s it gives up on the tasks.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let (expired_tx, expired_rx) = async_channel::bounded::<()>(1);
    let expired = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let expired = expired.clone();
        std::thread::spawn(move || {
            if done_rx.recv_timeout(PATIENCE).is_err() {
                expired.store(true, Ordering::SeqCst);
                let _ = expired_tx.send_blocking(());
            }
        })
    };

    let outcome = executor.block_on(async {
        // A ticker that keeps timers firing all along.
        let ticks = Arc::new(AtomicUsize::new(0));
        let ticker = {
            let (ticks, finished, expired) = (ticks.clone(), finished.clone(), expired.clone());
            spawn(async move {
                let mut every = interval(Duration::from_millis(1));
                while finished.load(Ordering::SeqCst) < tasks && !expired.load(Ordering::SeqCst) {
                    every.tick().await;
                    ticks.fetch_add(1, Ordering::SeqCst);
                }
            })
        };

        let handles: Vec<_> = (0..tasks)
            .map(|i| {
                let (mailboxes, completions, finished) =
                    (mailboxes.clone(), completions.clone(), finished.clone());
                let task = async move {
                    for round in 1..=rounds {
                        Signal {
                            mailbox: &mailboxes[i],
                            target: round,
                        }
                        .await;
                        if (round + i as u64) % 4 == 0 {
                            sleep(Duration::from_micros((i as u64 * 37 + round * 11) % 2000)).await;
                        }
                    }
                    completions[i].fetch_add(1, Ordering::SeqCst);
                    finished.fetch_add(1, Ordering::SeqCst);
                    i
                };
                spawn(Checked {
                    future: Box::pin(task),
                    ready: false,
                    tally: tally.clone(),
                })
            })
            .collect();

        let all = future::or(async { Ok(join_all(handles).await) }, async {
            let _ = expired_rx.recv().await;
            Err(())
        })
        .await;
        ticker.await.unwrap();
        (all, ticks.load(Ordering::SeqCst))
    });
    stop.store(true, Ordering::SeqCst);
    let _ = done_tx.send(());
    watchdog.join().unwrap();
    let mut sent = 0;
    for thread in wakers {
        sent += thread.join().unwrap().0;
    }

    let (all, ticks) = outcome;
    let waiting: Vec<usize> = (0..tasks)
        .filter(|&i| completions[i].load(Ordering::SeqCst) == 0)
        .collect();
    let outputs = all.unwrap_or_else(|_| {
        panic!(
            "not every task finished within {PATIENCE:?}: {} still waiting (first: {:?}); \
             {sent} signals were sent. A wake was lost.",
            waiting.len(),
            &waiting[..waiting.len().min(10)]
        )
    });
    for (i, output) in outputs.into_iter().enumerate() {
        assert_eq!(output.expect("no task panics or is cancelled"), i);
    }
    for (i, count) in completions.iter().enumerate() {
        assert_eq!(
            count.load(Ordering::SeqCst),
            1,
            "task {i} completed more than once"
        );
    }
    assert_eq!(
        tally.polls_after_ready.load(Ordering::SeqCst),
        0,
        "a task was polled after it finished"
    );
    assert_eq!(
        tally.drops.load(Ordering::SeqCst),
        tasks,
        "every future dropped exactly once"
    );
    assert!(
        sent >= tasks as u64 * rounds,
        "{sent} signals cannot finish {tasks} × {rounds}"
    );
    assert!(ticks > 0, "the ticker never ticked");
}

#[test]
fn threads_wake_tasks_at_random_while_timers_fire_real_clock() {
    let n = scale();
    stress(
        Executor::new(),
        Sizes {
            tasks: 300 * n,
            rounds: 30 * n as u64,
            threads: 3,
        },
        0x5EED_0001,
    );
}

#[test]
fn threads_wake_tasks_at_random_while_timers_fire_simulated_clock() {
    // A simulated clock jumps to the next timer when nothing is ready, but
    // must still see the wakes that other threads send meanwhile.
    let n = scale();
    stress(
        Executor::simulated(),
        Sizes {
            tasks: 150 * n,
            rounds: 30 * n as u64,
            threads: 2,
        },
        0x5EED_0002,
    );
}
