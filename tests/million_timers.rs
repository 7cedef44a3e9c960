//! One million timers at once: none lost, each fired at its own
//! deadline and in deadline order, and memory bounded: a second round of
//! timers reuses the first round's room instead of growing.
//!
//! This test binary counts every heap allocation (a global allocator that
//! wraps the system's), so it holds this single test: another test running
//! in parallel would blur the count.
//!
//! Size: 1,000,000 timers by default (a few seconds in a debug build).
//! `BUSY_CHEF_TIMERS=<n>` sets another number; under the memory checker
//! (`BUSY_CHEF_MEMCHECK=1`, set by `.ci/memcheck.sh`) it is 20,000, since
//! valgrind runs ~50 times slower.

mod counting_allocator;
mod probes;
mod xorshift;

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use busy_chef::time::{sleep, Instant, Sleep};
use busy_chef::Executor;
use counting_allocator::{live_bytes, peak_bytes, reset_peak, CountingAllocator};
use probes::pending_timers;
use xorshift::Rng;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// One waker shared by every timer: records the executor's clock (in ms)
/// each time it is woken. It is woken on the executor's thread, inside the
/// timer step, so `Instant::now()` is the simulated time of the firing.
struct FireLog(Mutex<Vec<u64>>);

impl Wake for FireLog {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        let now = Instant::now().since_origin().as_millis() as u64;
        self.0.lock().unwrap().push(now);
    }
}

fn timer_count() -> usize {
    if let Ok(n) = std::env::var("BUSY_CHEF_TIMERS") {
        return n.parse().expect("BUSY_CHEF_TIMERS is a number");
    }
    if std::env::var_os("BUSY_CHEF_MEMCHECK").is_some() {
        20_000
    } else {
        1_000_000
    }
}

/// Deadlines (ms from now) spread over levels 0 to 3 (up to 5 min: few
/// distinct ticks, so the simulated clock stops at most 300,000 times), with one in a
/// thousand in levels 4 and 5 and one in ten thousand beyond the wheel.
fn deadlines(n: usize, seed: u64) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let range = match i % 10_000 {
                0 => 1 << 40,
                r if r % 1000 == 0 => 1 << 35,
                _ => 300_000,
            };
            1 + rng.below(range)
        })
        .collect()
}

/// Registers one timer per deadline, lets them all fire, and checks each
/// fired exactly at its deadline, in order. Returns the peak heap growth
/// while the timers were registered.
async fn one_round(exec: &Executor, deadlines: &[u64]) -> usize {
    let n = deadlines.len();
    let start = Instant::now();
    let start_ms = start.since_origin().as_millis() as u64;
    let log = Arc::new(FireLog(Mutex::new(Vec::with_capacity(n))));
    let waker = Waker::from(log.clone());
    let mut cx = Context::from_waker(&waker);

    let baseline = reset_peak();
    let mut sleeps: Vec<Sleep> = deadlines
        .iter()
        .map(|&d| busy_chef::time::sleep_until(start + Duration::from_millis(d)))
        .collect();
    for s in &mut sleeps {
        assert!(Pin::new(s).poll(&mut cx).is_pending());
    }
    assert_eq!(pending_timers(exec), n, "every timer is in the wheel");
    let peak = peak_bytes() - baseline;

    let last = *deadlines.iter().max().unwrap();
    sleep(Duration::from_millis(last + 1)).await;
    assert_eq!(pending_timers(exec), 0, "every timer fired");

    let fired = std::mem::take(&mut *log.0.lock().unwrap());
    assert_eq!(fired.len(), n, "no timer lost, none fired twice");
    let mut expected: Vec<u64> = deadlines.iter().map(|d| start_ms + d).collect();
    expected.sort_unstable();
    assert!(
        fired == expected,
        "some timer fired early, late or out of deadline order (first \
         difference at {:?})",
        fired.iter().zip(&expected).position(|(a, b)| a != b)
    );
    // And each `Sleep` agrees that it is over.
    poll_fn(|cx| {
        for s in &mut sleeps {
            assert!(Pin::new(s).poll(cx).is_ready());
        }
        Poll::Ready(())
    })
    .await;
    peak
}

#[test]
fn one_million_timers_at_once_none_lost_memory_bounded() {
    let n = timer_count();
    let exec = Executor::simulated();
    let before = live_bytes();
    let real = std::time::Instant::now();

    let (first_peak, kept_after_first, kept_after_second) = exec.block_on(async {
        let peak = one_round(&exec, &deadlines(n, 0x9E37_79B9_7F4A_7C15)).await;
        let kept_after_first = live_bytes().saturating_sub(before);
        // A tenth as many again: more than the room the first round left if
        // freed slots were not reused (the wheel's `Vec` would grow).
        one_round(&exec, &deadlines(n / 10, 0xD1B5_4A32_D192_ED03)).await;
        let kept_after_second = live_bytes().saturating_sub(before);
        (peak, kept_after_first, kept_after_second)
    });

    let per_timer = first_peak / n;
    eprintln!(
        "{n} timers: peak {} MB ({per_timer} bytes per timer, including the \
         test's own Vec<Sleep>); the wheel keeps {} MB for reuse; {:?}",
        first_peak >> 20,
        kept_after_first >> 20,
        real.elapsed()
    );
    assert!(
        per_timer <= 256,
        "{per_timer} bytes per timer: the wheel's memory is not bounded by its timers"
    );
    assert!(
        kept_after_second <= kept_after_first + 64 * 1024,
        "a second round of timers grew what the executor keeps from \
         {kept_after_first} to {kept_after_second} bytes: freed timer slots \
         are not reused"
    );
    drop(exec);
    let left = live_bytes().saturating_sub(before);
    assert!(
        left < 64 * 1024,
        "{left} bytes still allocated after the executor was dropped"
    );
}
