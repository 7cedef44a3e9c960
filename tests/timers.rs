//! Timers through the whole executor: order, rounding, cancellation, the
//! wheel's far levels, `timeout`, `interval`, and `join_all`'s per-child wakers.
//! Everything runs on the simulated clock: exact and instant.

mod millis;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use busy_chef::time::{interval, sleep, sleep_until, timeout, Instant};
use busy_chef::{join_all, spawn, yield_now, Executor};
use millis::ms;

#[test]
fn ten_thousand_timers_fire_in_deadline_order() {
    let exec = Executor::simulated();
    let fired = Rc::new(RefCell::new(Vec::new()));
    exec.block_on(async {
        let start = Instant::now();
        let mut handles = Vec::new();
        // Deadlines scattered over 0..100 s, created in a shuffled order.
        for i in 0..10_000u64 {
            let deadline = (i * 7919) % 100_000;
            let fired = fired.clone();
            handles.push(spawn(async move {
                sleep(ms(deadline)).await;
                fired.borrow_mut().push((deadline, Instant::now() - start));
            }));
        }
        for handle in handles {
            handle.await.unwrap();
        }
    });
    let fired = fired.borrow();
    assert_eq!(fired.len(), 10_000);
    assert!(fired.windows(2).all(|w| w[0].0 <= w[1].0), "deadline order");
    assert!(
        fired.iter().all(|&(deadline, at)| at == ms(deadline)),
        "each on time, to the millisecond"
    );
}

#[test]
fn timers_with_the_same_deadline_fire_in_creation_order() {
    let exec = Executor::simulated();
    let order = Rc::new(RefCell::new(Vec::new()));
    exec.block_on(async {
        let deadline = Instant::now() + ms(250);
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let order = order.clone();
                spawn(async move {
                    sleep_until(deadline).await;
                    order.borrow_mut().push(i);
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
    assert_eq!(*order.borrow(), (0..50).collect::<Vec<_>>());
}

#[test]
fn a_timer_never_fires_early_deadlines_round_up_to_the_millisecond() {
    let exec = Executor::simulated();
    let woke_at = exec.block_on(async {
        let start = Instant::now();
        sleep(Duration::from_micros(1500)).await;
        start.elapsed()
    });
    assert_eq!(woke_at, ms(2), "1.5 ms rounds up to the 2 ms tick");
}

#[test]
fn deadlines_in_the_past_and_zero_sleeps_complete_at_once() {
    let exec = Executor::simulated();
    exec.block_on(async {
        sleep(ms(10)).await;
        let start = Instant::now();
        sleep_until(start - ms(5)).await;
        sleep(Duration::ZERO).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
    });
}

#[test]
fn dropping_a_sleep_removes_its_timer() {
    let exec = Executor::simulated();
    exec.block_on(async {
        let mut long = Box::pin(sleep(Duration::from_secs(3600)));
        // Poll once so it registers in the wheel.
        std::future::poll_fn(|cx| {
            assert!(long.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
    });
    // The sleep above was dropped at the end of the block; no timer is left,
    // so no hour of simulated time passes either.
    assert!(format!("{exec:?}").contains("timers: 0"), "{exec:?}");
    let now = exec.block_on(async { Instant::now() });
    assert_eq!(now.since_origin(), Duration::ZERO);
}

#[test]
fn a_sleep_wakes_the_task_that_polled_it_last() {
    // A Sleep created in one task and moved into another must wake the second.
    let exec = Executor::simulated();
    let parked: Rc<RefCell<Option<Pin<Box<busy_chef::time::Sleep>>>>> = Rc::new(RefCell::new(None));
    let p = parked.clone();
    let first = exec.spawn(async move {
        let mut s = Box::pin(sleep(ms(100)));
        std::future::poll_fn(|cx| {
            assert!(s.as_mut().poll(cx).is_pending()); // registers with this task's waker
            Poll::Ready(())
        })
        .await;
        *p.borrow_mut() = Some(s);
    });
    let took = exec.block_on(async {
        first.await.unwrap();
        let s = parked.borrow_mut().take().unwrap();
        let start = Instant::now();
        spawn(s).await.unwrap(); // polled by a new task: its waker replaces the old
        start.elapsed()
    });
    assert_eq!(took, ms(100));
}

/// The top levels of the wheel, crossed for real: sleeping until just below
/// 2^30 ms and 2^36 ms (12 days, 2.2 years of simulated time), then timers
/// on both sides of the boundary, plus one far beyond the wheel's range that
/// must not hide them (tokio#8334).
#[test]
fn timers_across_the_2_pow_30_and_2_pow_36_boundaries() {
    for boundary in [1u64 << 30, 1u64 << 36] {
        let exec = Executor::simulated();
        let log = Rc::new(RefCell::new(Vec::new()));
        exec.block_on(async {
            sleep(ms(boundary - 3)).await;
            let start = Instant::now();
            let mut handles = Vec::new();
            for (name, delay) in [("far", (1u64 << 37) + 9), ("1", 1), ("5", 5), ("70", 70)] {
                let log = log.clone();
                handles.push(spawn(async move {
                    sleep(ms(delay)).await;
                    log.borrow_mut()
                        .push((name, (Instant::now() - start).as_millis()));
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
        });
        assert_eq!(
            *log.borrow(),
            [("1", 1), ("5", 5), ("70", 70), ("far", (1u128 << 37) + 9)],
            "boundary 2^{}",
            boundary.trailing_zeros()
        );
    }
}

#[test]
fn sleep_duration_max_never_fires_and_does_not_block_others() {
    let exec = Executor::simulated();
    let forever = exec.spawn(async { sleep(Duration::MAX).await });
    exec.block_on(async { sleep(ms(10)).await });
    assert!(!forever.is_finished());
    forever.abort();
    assert!(exec.block_on(forever).unwrap_err().is_cancelled());
}

#[test]
fn timeout_both_ways() {
    let exec = Executor::simulated();
    exec.block_on(async {
        let start = Instant::now();
        assert_eq!(timeout(ms(50), async { "quick" }).await, Ok("quick"));
        assert_eq!(
            timeout(ms(50), async {
                sleep(ms(20)).await;
                5
            })
            .await,
            Ok(5)
        );
        assert_eq!(start.elapsed(), ms(20));
        let err = timeout(ms(50), sleep(ms(80))).await.unwrap_err();
        assert_eq!(start.elapsed(), ms(70), "gave up after 50 ms");
        assert_eq!(err.to_string(), "deadline has elapsed");
    });
    assert!(
        format!("{exec:?}").contains("timers: 0"),
        "both losers' timers were removed"
    );
}

#[test]
fn interval_ticks_every_period_without_drift() {
    let exec = Executor::simulated();
    let ticks = exec.block_on(async {
        let start = Instant::now();
        let mut every = interval(ms(100));
        let mut ticks = Vec::new();
        for i in 0..5 {
            let at = every.tick().await;
            ticks.push((at - start).as_millis());
            if i == 2 {
                sleep(ms(250)).await; // fall behind: missed ticks come at once
            }
        }
        ticks.push((Instant::now() - start).as_millis());
        ticks
    });
    assert_eq!(ticks, [0, 100, 200, 300, 400, 450]);
}

/// Counts how often it is polled, then delegates to a sleep.
struct Counted {
    polls: Rc<Cell<u32>>,
    inner: Pin<Box<busy_chef::time::Sleep>>,
}

impl Future for Counted {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.set(self.polls.get() + 1);
        self.inner.as_mut().poll(cx)
    }
}

#[test]
fn join_all_repolls_only_the_children_that_were_woken() {
    let exec = Executor::simulated();
    let polls: Vec<Rc<Cell<u32>>> = (0..10_000).map(|_| Rc::new(Cell::new(0))).collect();
    let out = exec.block_on(async {
        let children = polls.iter().enumerate().map(|(i, polls)| Counted {
            polls: polls.clone(),
            inner: Box::pin(sleep(ms(1 + (i as u64 * 37) % 1000))),
        });
        join_all(children).await
    });
    assert_eq!(out.len(), 10_000);
    // Each child: one poll to start, one when its own timer fired. Not one
    // per wake of any sibling.
    assert!(
        polls.iter().all(|p| p.get() == 2),
        "polls: {:?}",
        polls.iter().map(|p| p.get()).max()
    );
}

#[test]
fn join_all_returns_outputs_in_input_order() {
    let exec = Executor::simulated();
    let out = exec.block_on(join_all((0..20u64).map(|i| async move {
        sleep(ms((20 - i) * 3)).await;
        yield_now().await;
        i
    })));
    assert_eq!(out, (0..20).collect::<Vec<_>>());
    let empty: Vec<u8> = exec.block_on(join_all(Vec::<std::future::Ready<u8>>::new()));
    assert!(empty.is_empty());
}
