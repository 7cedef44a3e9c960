//! Timers at their limits: `sleep(Duration::MAX)`,
//! `sleep(Duration::ZERO)`, `sleep_until` in the past, deadlines that
//! cascade through every level of the wheel and beyond it, and the 2^30 and
//! 2^36 ms boundaries where tokio#8334 hid near timers behind a far one.
//!
//! All on `Executor::simulated()`: sleeping 2^36 ms (2.2 years) takes no
//! real time, and every wake-up time is exact. One test uses the real clock,
//! to check "never early" against the operating system's clock.
//! (One million timers at once: `tests/million_timers.rs`.)

mod millis;
mod probes;

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use busy_chef::time::{interval, sleep, sleep_until, timeout, Instant};
use busy_chef::{spawn, Executor};
use millis::ms;
use probes::{pending_timers, poll_here, poll_once};

fn now() -> Duration {
    Instant::now().since_origin()
}

// ---------------------------------------------------------------------------
// Duration::MAX, ZERO, the past (tokio#3551, crossbeam#795, rust#54552)
// ---------------------------------------------------------------------------

#[test]
fn sleep_duration_max_never_completes_and_takes_no_timer() {
    let exec = Executor::simulated();
    exec.block_on(async {
        let mut forever = sleep(Duration::MAX);
        assert_eq!(
            format!("{:?}", forever.deadline()),
            "Instant(never)",
            "now + MAX saturates instead of overflowing"
        );
        assert!(poll_here(&mut forever).await.is_pending());
        assert_eq!(pending_timers(&exec), 0, "a deadline that never comes");
        // It does not stop the clock from reaching other deadlines.
        let result = timeout(Duration::from_secs(1), &mut forever).await;
        assert!(result.is_err());
        assert_eq!(now(), Duration::from_secs(1));
        assert!(poll_here(&mut forever).await.is_pending(), "still never");
    });
}

#[test]
fn sleep_duration_max_with_nothing_else_waits_for_a_wake_from_another_thread() {
    // With no timer and no ready task, even a simulated executor must block
    // (not spin, not jump to "never"); a wake from another thread ends it.
    let exec = Executor::simulated();
    let set_by_thread = Arc::new(AtomicBool::new(false));
    let mut forever = sleep_forever_in(&exec);
    let mut thread = None;
    let outcome = exec.block_on(poll_fn(|cx| {
        if Pin::new(&mut forever).poll(cx).is_ready() {
            return Poll::Ready("the sleep ended");
        }
        if set_by_thread.load(Ordering::Acquire) {
            return Poll::Ready("woken by the other thread");
        }
        if thread.is_none() {
            let (flag, waker) = (set_by_thread.clone(), cx.waker().clone());
            thread = Some(std::thread::spawn(move || {
                std::thread::sleep(ms(20));
                flag.store(true, Ordering::Release);
                waker.wake();
            }));
        }
        Poll::Pending
    }));
    assert_eq!(outcome, "woken by the other thread");
    assert_eq!(
        exec.block_on(async { now() }),
        Duration::ZERO,
        "time stood still"
    );
    thread.unwrap().join().unwrap();
}

fn sleep_forever_in(exec: &Executor) -> busy_chef::time::Sleep {
    sleep_on(exec, Duration::MAX)
}

/// A `Sleep` made on `exec`'s clock (`sleep` reads the running executor's).
fn sleep_on(exec: &Executor, duration: Duration) -> busy_chef::time::Sleep {
    exec.block_on(poll_fn(|_| Poll::Ready(sleep(duration))))
}

#[test]
fn sleep_zero_is_ready_at_its_first_poll_and_time_stands_still() {
    let exec = Executor::simulated();
    exec.block_on(async {
        sleep(ms(7)).await;
        let mut zero = sleep(Duration::ZERO);
        assert!(poll_here(&mut zero).await.is_ready());
        assert_eq!(pending_timers(&exec), 0);
        assert_eq!(now(), ms(7));
    });
}

#[test]
fn sleep_until_in_the_past_is_ready_at_its_first_poll() {
    let exec = Executor::simulated();
    exec.block_on(async {
        sleep(Duration::from_secs(10)).await;
        let start = Instant::now();
        for past in [
            start - ms(1),
            start - Duration::from_secs(10),
            start - Duration::MAX, // saturates at the clock's origin
            start,
        ] {
            let mut s = sleep_until(past);
            assert!(poll_here(&mut s).await.is_ready(), "{past:?}");
        }
        assert_eq!(pending_timers(&exec), 0);
        assert_eq!(now(), Duration::from_secs(10), "no time passed");
    });
}

#[test]
fn sleep_until_in_the_past_on_the_real_clock_returns_at_once() {
    let start = std::time::Instant::now();
    busy_chef::block_on(async {
        sleep(ms(2)).await;
        sleep_until(Instant::now() - ms(1)).await;
        sleep_until(Instant::now() - Duration::MAX).await;
    });
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn sub_millisecond_sleeps_round_up_never_early() {
    // Rounding: tokio#6866 (an implicit extra millisecond), tokio-timer#14.
    let exec = Executor::simulated();
    exec.block_on(async {
        sleep(Duration::from_nanos(1)).await;
        assert_eq!(now(), ms(1), "1 ns rounds up to the next 1 ms tick");
        sleep(Duration::from_micros(1500)).await;
        assert_eq!(now(), ms(3), "1 ms + 1.5 ms = 2.5 ms, rounded up to 3");
        sleep(ms(1)).await;
        assert_eq!(now(), ms(4), "whole milliseconds are not rounded further");
    });
}

#[test]
fn real_clock_sleeps_are_never_early() {
    busy_chef::block_on(async {
        for wanted in [ms(1), ms(3), Duration::from_micros(2500)] {
            let os_start = std::time::Instant::now();
            let start = Instant::now();
            sleep(wanted).await;
            assert!(os_start.elapsed() >= wanted, "early by the OS clock");
            assert!(start.elapsed() >= wanted, "early by the executor's clock");
        }
    });
}

#[test]
fn a_deadline_that_does_not_fit_in_64_bit_milliseconds_never_comes() {
    let exec = Executor::simulated();
    exec.block_on(async {
        let mut s = sleep(ms(u64::MAX));
        assert!(poll_here(&mut s).await.is_pending());
        assert_eq!(pending_timers(&exec), 0);
        let mut s = sleep(Duration::from_secs(u64::MAX / 1000 + 1));
        assert!(poll_here(&mut s).await.is_pending());
        assert_eq!(pending_timers(&exec), 0);
    });
}

#[test]
fn the_last_representable_tick_still_fires() {
    // u64::MAX - 1 ms (585 million years) is a real deadline: it sits in the
    // overflow map and fires on time.
    let exec = Executor::simulated();
    let real = std::time::Instant::now();
    exec.block_on(async {
        sleep(ms(u64::MAX - 1)).await;
        assert_eq!(now(), ms(u64::MAX - 1));
    });
    assert!(
        real.elapsed() < Duration::from_secs(10),
        "no tick-by-tick walk"
    );
}

#[test]
fn interval_with_a_huge_period_ticks_once_then_never() {
    let exec = Executor::simulated();
    exec.block_on(async {
        let mut ticks = interval(Duration::MAX);
        assert_eq!(ticks.tick().await.since_origin(), Duration::ZERO);
        let second = timeout(Duration::from_secs(5), ticks.tick()).await;
        assert!(second.is_err(), "the second tick never comes");
    });
}

// ---------------------------------------------------------------------------
// Cascading through every level, and past the wheel
// ---------------------------------------------------------------------------

const LEVEL_SPAN: [u64; 7] = [1, 64, 4096, 262_144, 16_777_216, 1 << 30, 1 << 36];

/// Spawns one task per deadline (ms after `base`); each records when it
/// woke. Returns `(deadline, woke_at)` pairs in wake order.
fn run_deadlines(exec: &Executor, base: Duration, deadlines: &[u64]) -> Vec<(u64, Duration)> {
    let log = Rc::new(RefCell::new(Vec::new()));
    exec.block_on(async {
        sleep_until(Instant::now() + base).await;
        assert_eq!(now(), base);
        let start = Instant::now();
        let mut handles = Vec::new();
        for &d in deadlines {
            let log = log.clone();
            handles.push(spawn(async move {
                sleep_until(start + ms(d)).await;
                log.borrow_mut().push((d, now()));
            }));
        }
        for handle in handles {
            handle.await.unwrap();
        }
    });
    Rc::try_unwrap(log).unwrap().into_inner()
}

fn check_on_time_and_in_order(base: Duration, log: &[(u64, Duration)], count: usize) {
    assert_eq!(log.len(), count, "every timer fired");
    for &(d, woke) in log {
        assert_eq!(
            woke,
            base + ms(d),
            "timer {d} ms after {base:?}: not on time"
        );
    }
    for pair in log.windows(2) {
        assert!(pair[0].0 <= pair[1].0, "out of deadline order: {pair:?}");
    }
}

#[test]
fn far_future_deadlines_cascade_through_every_wheel_level() {
    // For each level's span (and the wheel's whole span, 2^36 ms): one tick
    // before, at, and one after; plus deadlines far beyond the wheel, which
    // wait in the overflow map. Spawned in reverse, so creation order does
    // not hide a sorting bug.
    let mut deadlines: Vec<u64> = LEVEL_SPAN
        .iter()
        .flat_map(|&span| [span - 1, span, span + 1, 3 * span + 7])
        .chain([1 << 40, (1 << 40) + 1, 5 << 36, 1 << 50])
        .collect();
    deadlines.sort_unstable();
    deadlines.dedup();
    deadlines.reverse();
    let exec = Executor::simulated();
    let real = std::time::Instant::now();
    let log = run_deadlines(&exec, Duration::ZERO, &deadlines);
    check_on_time_and_in_order(Duration::ZERO, &log, deadlines.len());
    assert_eq!(pending_timers(&exec), 0);
    assert!(
        real.elapsed() < Duration::from_secs(20),
        "2^50 simulated ms took {:?} of real time: the clock walked",
        real.elapsed()
    );
}

#[test]
fn near_timers_are_not_hidden_by_a_far_one_after_2_pow_30_ms() {
    // tokio#8334: once elapsed passed 2^30 ms (~12 days), a far timer clamped
    // into the top level hid nearer timers, which then hung. Start just
    // below 2^30 and 2^36, add a far timer first, then near ones.
    for base_ms in [(1u64 << 30) - 3, (1 << 36) - 3, 3 * (1 << 36) - 3] {
        let base = ms(base_ms);
        let far = (1 << 36) + 10;
        let deadlines = [far, 1, 2, 3, 5, 64, 70, 4_100, 5_000_000];
        let exec = Executor::simulated();
        let log = run_deadlines(&exec, base, &deadlines);
        check_on_time_and_in_order(base, &log, deadlines.len());
    }
}

#[test]
fn timers_added_while_others_cascade_land_in_the_right_slot() {
    // Deadlines added at odd moments (mid-level) from inside woken tasks.
    let exec = Executor::simulated();
    let log = Rc::new(RefCell::new(Vec::new()));
    exec.block_on(async {
        let mut handles = Vec::new();
        for (i, first) in [63u64, 4095, 262_143, 1 << 30].into_iter().enumerate() {
            let log = log.clone();
            handles.push(spawn(async move {
                let start = Instant::now();
                sleep(ms(first)).await;
                assert_eq!(now(), start.since_origin() + ms(first));
                let second = 1 + (i as u64) * 1000;
                sleep(ms(second)).await;
                log.borrow_mut().push(now());
                assert_eq!(now(), ms(first + second));
            }));
        }
        for handle in handles {
            handle.await.unwrap();
        }
    });
    let log = log.borrow();
    assert_eq!(log.len(), 4);
    assert!(log.windows(2).all(|w| w[0] <= w[1]), "{log:?}");
}

#[test]
fn a_sleep_that_outlives_its_executor_is_inert_when_polled_outside() {
    let exec = Executor::simulated();
    let mut s = sleep_on(&exec, ms(5));
    drop(exec);
    let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| poll_once(&mut s)));
    assert!(
        polled.is_err(),
        "polling a Sleep with no executor running panics with a clear message"
    );
}
