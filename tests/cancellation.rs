//! Cancelling at every point of a task's life: `abort`, dropping a
//! `Timeout`, dropping a `Sleep`, before the first poll, while queued, while
//! waiting, while running (a task that aborts itself), after completion, and
//! after the executor is gone.
//!
//! In every case: the future is dropped exactly once and never polled again,
//! its timers leave the wheel, and whoever awaits the handle is told.

mod millis;
mod probes;

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use busy_chef::time::{sleep, sleep_until, timeout, Instant, Sleep};
use busy_chef::{spawn, yield_now, Executor, JoinHandle};
use millis::ms;
use probes::{live_tasks, pending_timers, poll_here, poll_once, Counter, ProbeState};

fn now_ms() -> u128 {
    Instant::now().since_origin().as_millis()
}

fn assert_cancelled<T: std::fmt::Debug>(result: Result<T, busy_chef::JoinError>) {
    match result {
        Err(err) => assert!(err.is_cancelled(), "expected cancelled, got {err:?}"),
        Ok(value) => panic!("expected cancelled, got Ok({value:?})"),
    }
}

// ---------------------------------------------------------------------------
// abort
// ---------------------------------------------------------------------------

#[test]
fn abort_before_first_poll_from_outside_the_executor() {
    let exec = Executor::simulated();
    let task = ProbeState::new();
    let handle = exec.spawn(task.probe());
    handle.abort();
    assert!(
        !handle.is_finished(),
        "the future is dropped at the executor's next turn, not inside abort"
    );
    assert_cancelled(exec.block_on(handle));
    assert_eq!(task.polls.get(), 0, "an aborted task is never polled");
    assert_eq!(task.drops.get(), 1);
    assert_eq!(live_tasks(&exec), 0);
}

#[test]
fn abort_before_first_poll_inside_the_executor() {
    let exec = Executor::simulated();
    let task = ProbeState::new();
    exec.block_on(async {
        let handle = spawn(task.probe());
        handle.abort();
        assert_cancelled(handle.await);
    });
    assert_eq!((task.polls.get(), task.drops.get()), (0, 1));
}

#[test]
fn abort_before_first_poll_then_drop_the_executor() {
    let exec = Executor::simulated();
    let task = ProbeState::new();
    let mut handle = exec.spawn(task.probe());
    handle.abort();
    drop(exec);
    assert_eq!((task.polls.get(), task.drops.get()), (0, 1));
    assert!(matches!(poll_once(&mut handle), Poll::Ready(Err(e)) if e.is_cancelled()));
}

#[test]
fn abort_while_queued_after_a_wake() {
    // The task is woken (its key is in the queue) and aborted before its turn
    // comes: the queued run drops it instead of polling it.
    let exec = Executor::simulated();
    let task = ProbeState::new();
    exec.block_on(async {
        let handle = spawn(task.probe());
        yield_now().await;
        assert_eq!(task.polls.get(), 1);
        assert!(task.wake(), "the task is queued now");
        handle.abort();
        assert_cancelled(handle.await);
    });
    assert_eq!((task.polls.get(), task.drops.get()), (1, 1));
}

#[test]
fn abort_while_queued_by_a_wake_from_another_thread() {
    let exec = Executor::simulated();
    let task = ProbeState::new();
    exec.block_on(async {
        let handle = spawn(task.probe());
        yield_now().await;
        let waker = task.waker.borrow().clone().unwrap();
        std::thread::spawn(move || waker.wake()).join().unwrap();
        handle.abort();
        assert_cancelled(handle.await);
    });
    assert_eq!((task.polls.get(), task.drops.get()), (1, 1));
}

#[test]
fn abort_while_waiting_on_a_timer_frees_the_timer() {
    let exec = Executor::simulated();
    let drops = Counter::new();
    let token = drops.token();
    exec.block_on(async {
        let handle = spawn(async move {
            let _token = token;
            sleep(Duration::from_secs(3600)).await;
            unreachable!("an aborted sleeper never wakes up");
        });
        yield_now().await;
        assert_eq!(pending_timers(&exec), 1);
        handle.abort();
        assert_cancelled(handle.await);
        assert_eq!(pending_timers(&exec), 0, "the aborted task's timer is gone");
        assert_eq!(now_ms(), 0, "nobody waited for the hour");
    });
    assert_eq!(drops.get(), 1);
}

#[test]
fn abort_from_inside_itself_while_running() {
    // The task aborts itself in the middle of a poll. Its future cannot be
    // dropped while it is being polled; the abort takes effect when the poll
    // returns `Pending`: the task is not polled again, it is dropped at the
    // next turn, and its handle says "cancelled".
    let exec = Executor::simulated();
    let drops = Counter::new();
    let after_abort = Counter::new();
    let token = drops.token();
    let own: Rc<RefCell<Option<JoinHandle<&str>>>> = Rc::default();
    let result = exec.block_on(async {
        let in_task = own.clone();
        let after = after_abort.clone();
        let handle = spawn(async move {
            let _token = token;
            yield_now().await;
            in_task.borrow().as_ref().unwrap().abort(); // while RUNNING
            sleep(ms(1)).await; // returns Pending: the abort wins
            after.add();
            "finished anyway"
        });
        *own.borrow_mut() = Some(handle);
        let result = poll_fn(|cx| Pin::new(own.borrow_mut().as_mut().unwrap()).poll(cx)).await;
        assert_eq!(pending_timers(&exec), 0, "its 1 ms timer was freed");
        result
    });
    assert_cancelled(result);
    assert_eq!(after_abort.get(), 0, "not polled after the abort");
    assert_eq!(drops.get(), 1);
}

#[test]
fn abort_from_inside_itself_then_completing_in_the_same_poll_keeps_the_output() {
    // If the poll that called `abort` returns `Ready`, the task has completed
    // and the output is kept: there is nothing left to cancel (tokio does the
    // same).
    let exec = Executor::simulated();
    let own: Rc<RefCell<Option<JoinHandle<u32>>>> = Rc::default();
    let result = exec.block_on(async {
        let in_task = own.clone();
        let handle = spawn(async move {
            yield_now().await;
            in_task.borrow().as_ref().unwrap().abort();
            42
        });
        *own.borrow_mut() = Some(handle);
        poll_fn(|cx| Pin::new(own.borrow_mut().as_mut().unwrap()).poll(cx)).await
    });
    assert_eq!(result.unwrap(), 42);
}

#[test]
fn abort_after_completion_does_nothing() {
    let exec = Executor::simulated();
    let output_drops = Counter::new();
    let token = output_drops.token();
    exec.block_on(async {
        let mut handle = spawn(async move { token });
        while !handle.is_finished() {
            yield_now().await;
        }
        handle.abort();
        handle.abort();
        let output = (&mut handle)
            .await
            .expect("completion is not undone by abort");
        assert_eq!(output_drops.get(), 0);
        drop(output);
        handle.abort(); // after the output was taken, too
    });
    assert_eq!(output_drops.get(), 1);
}

#[test]
fn abort_after_the_executor_is_dropped_does_nothing() {
    let exec = Executor::simulated();
    let task = ProbeState::new();
    let mut handle = exec.spawn(task.probe());
    exec.block_on(yield_now());
    drop(exec);
    handle.abort();
    handle.abort();
    assert!(matches!(poll_once(&mut handle), Poll::Ready(Err(e)) if e.is_cancelled()));
    assert_eq!((task.polls.get(), task.drops.get()), (1, 1));
}

#[test]
fn abort_wakes_a_task_awaiting_the_handle() {
    // Another task awaits the handle; the abort must wake it (no hang), and
    // it sees "cancelled".
    let exec = Executor::simulated();
    let victim = ProbeState::new();
    let seen = exec.block_on(async {
        let handle = Rc::new(RefCell::new(spawn(victim.probe())));
        let awaited = handle.clone();
        let watcher =
            spawn(async move { poll_fn(|cx| Pin::new(&mut *awaited.borrow_mut()).poll(cx)).await });
        yield_now().await; // the victim and the watcher both wait now
        yield_now().await;
        assert!(!watcher.is_finished());
        handle.borrow().abort();
        watcher.await.unwrap()
    });
    assert_cancelled(seen);
    assert_eq!((victim.polls.get(), victim.drops.get()), (1, 1));
}

#[test]
fn abort_by_another_task_while_the_victim_waits() {
    let exec = Executor::simulated();
    let victim = ProbeState::new();
    let result = exec.block_on(async {
        let handle = Rc::new(spawn(victim.probe()));
        let aborter = {
            let handle = handle.clone();
            spawn(async move {
                sleep(ms(3)).await;
                handle.abort();
            })
        };
        aborter.await.unwrap();
        let mut handle = Rc::try_unwrap(handle).expect("the aborter let go");
        poll_fn(|cx| Pin::new(&mut handle).poll(cx)).await
    });
    assert_cancelled(result);
    assert_eq!((victim.polls.get(), victim.drops.get()), (1, 1));
}

// ---------------------------------------------------------------------------
// Dropping a Timeout
// ---------------------------------------------------------------------------

#[test]
fn timeout_dropped_before_first_poll() {
    let exec = Executor::simulated();
    let inner = ProbeState::new();
    exec.block_on(async {
        let t = timeout(Duration::from_secs(1), inner.probe());
        assert_eq!(pending_timers(&exec), 0, "no timer before the first poll");
        drop(t);
    });
    assert_eq!((inner.polls.get(), inner.drops.get()), (0, 1));
}

#[test]
fn timeout_dropped_while_waiting_frees_its_timer() {
    let exec = Executor::simulated();
    let inner = ProbeState::new();
    exec.block_on(async {
        let mut t = timeout(Duration::from_secs(1), inner.probe());
        assert!(poll_here(&mut t).await.is_pending());
        assert_eq!(pending_timers(&exec), 1);
        drop(t);
        assert_eq!(pending_timers(&exec), 0);
    });
    assert_eq!((inner.polls.get(), inner.drops.get()), (1, 1));
}

#[test]
fn timeout_elapsing_drops_the_inner_future_once() {
    let exec = Executor::simulated();
    let inner = ProbeState::new();
    let at = exec.block_on(async {
        let result = timeout(ms(250), inner.probe()).await;
        assert!(result.is_err());
        now_ms()
    });
    assert_eq!(at, 250, "on time, not early, not late");
    assert_eq!(inner.drops.get(), 1);
    assert_eq!(pending_timers(&exec), 0);
}

#[test]
fn timeout_whose_future_finishes_first_frees_its_timer() {
    let exec = Executor::simulated();
    exec.block_on(async {
        let result = timeout(Duration::from_secs(3600), async {
            sleep(ms(10)).await;
            "in time"
        })
        .await;
        assert_eq!(result, Ok("in time"));
        assert_eq!(pending_timers(&exec), 0, "the hour-long timer is gone");
    });
    // Nothing keeps the executor waiting for the cancelled hour.
    assert_eq!(
        exec.block_on(async { now_ms() }),
        10,
        "the clock never jumped to the cancelled deadline"
    );
}

#[test]
fn timeout_and_future_due_at_the_same_tick_the_future_wins() {
    // `Timeout` polls its future before its sleep; on a tie the output wins.
    let exec = Executor::simulated();
    let result = exec.block_on(async {
        timeout(ms(10), async {
            sleep(ms(10)).await;
            "just in time"
        })
        .await
    });
    assert_eq!(result, Ok("just in time"));
}

#[test]
fn timeout_inside_an_aborted_task_frees_its_timer_and_drops_the_future() {
    let exec = Executor::simulated();
    let inner = ProbeState::new();
    exec.block_on(async {
        let probe = inner.probe();
        let handle = spawn(async move { timeout(Duration::from_secs(60), probe).await });
        yield_now().await;
        assert_eq!(pending_timers(&exec), 1);
        handle.abort();
        assert_cancelled(handle.await);
        assert_eq!(pending_timers(&exec), 0);
    });
    assert_eq!((inner.polls.get(), inner.drops.get()), (1, 1));
}

#[test]
fn timeout_zero_gives_up_at_once_but_still_polls_the_future_first() {
    let exec = Executor::simulated();
    let inner = ProbeState::new();
    let result = exec.block_on(async { timeout(Duration::ZERO, inner.probe()).await });
    assert!(result.is_err());
    assert_eq!((inner.polls.get(), inner.drops.get()), (1, 1));
}

// ---------------------------------------------------------------------------
// Dropping a Sleep
// ---------------------------------------------------------------------------

#[test]
fn sleep_dropped_before_first_poll_never_registers() {
    let exec = Executor::simulated();
    exec.block_on(async {
        let s = sleep(ms(5));
        assert_eq!(pending_timers(&exec), 0);
        drop(s);
        assert_eq!(pending_timers(&exec), 0);
    });
}

#[test]
fn sleep_dropped_while_registered_leaves_the_wheel() {
    let exec = Executor::simulated();
    exec.block_on(async {
        let mut sleeps: Vec<Sleep> = (1..=3).map(|s| sleep(Duration::from_secs(s))).collect();
        for s in &mut sleeps {
            assert!(poll_here(s).await.is_pending());
        }
        assert_eq!(pending_timers(&exec), 3);
        drop(sleeps.remove(1)); // the middle one of three
        assert_eq!(pending_timers(&exec), 2);
        for s in sleeps {
            s.await;
        }
        assert_eq!(now_ms(), 3000);
    });
}

#[test]
fn sleep_dropped_after_it_fired_does_nothing() {
    let exec = Executor::simulated();
    exec.block_on(async {
        let mut s = sleep(ms(5));
        assert!(poll_here(&mut s).await.is_pending());
        sleep(ms(6)).await;
        assert_eq!(pending_timers(&exec), 0, "fired: out of the wheel");
        assert!(poll_here(&mut s).await.is_ready());
        assert!(poll_here(&mut s).await.is_ready(), "and stays ready");
        drop(s);
        assert_eq!(pending_timers(&exec), 0);
    });
}

#[test]
fn sleep_dropped_in_the_poll_that_registered_it() {
    // A hand-made select: poll a sleep once, then drop it in the same poll.
    let exec = Executor::simulated();
    exec.block_on(async {
        poll_fn(|cx| {
            let mut s = sleep(ms(5));
            assert!(Pin::new(&mut s).poll(cx).is_pending());
            drop(s);
            Poll::Ready(())
        })
        .await;
        assert_eq!(pending_timers(&exec), 0);
    });
}

#[test]
fn sleep_reset_while_registered_moves_its_timer() {
    let exec = Executor::simulated();
    exec.block_on(async {
        let mut s = sleep(Duration::from_secs(3600));
        assert!(poll_here(&mut s).await.is_pending());
        s.reset(Instant::now() + ms(20));
        assert_eq!(pending_timers(&exec), 0, "the old timer left at reset");
        s.await;
        assert_eq!(now_ms(), 20);
        assert_eq!(pending_timers(&exec), 0);
    });
}

#[test]
fn sleep_that_outlives_its_executor_drops_quietly() {
    let exec = Executor::simulated();
    // The registered `Sleep` is taken out of block_on on purpose.
    #[allow(clippy::async_yields_async)]
    let mut s = exec.block_on(async {
        let mut s = sleep(Duration::from_secs(10));
        assert!(poll_here(&mut s).await.is_pending());
        s
    });
    assert_eq!(pending_timers(&exec), 1);
    drop(exec);
    assert_eq!(s.deadline().since_origin(), Duration::from_secs(10));
    // Polling it on another executor registers it there.
    let other = Executor::simulated();
    other.block_on(async {
        assert!(poll_here(&mut s).await.is_pending());
        assert_eq!(pending_timers(&other), 1);
    });
    drop(s);
    assert_eq!(pending_timers(&other), 0);
}

#[test]
fn sleep_moved_to_another_executor_leaves_the_first_wheel() {
    let first = Executor::simulated();
    let second = Executor::simulated();
    // The registered `Sleep` is taken out of block_on on purpose.
    #[allow(clippy::async_yields_async)]
    let mut s = first.block_on(async {
        let mut s = sleep_until(Instant::now() + Duration::from_secs(2));
        assert!(poll_here(&mut s).await.is_pending());
        s
    });
    assert_eq!(pending_timers(&first), 1);
    second.block_on(async {
        assert!(poll_here(&mut s).await.is_pending());
    });
    assert_eq!(pending_timers(&first), 0, "re-registered, not duplicated");
    assert_eq!(pending_timers(&second), 1);
    second.block_on(s);
    assert_eq!(second.block_on(async { now_ms() }), 2000);
}

// ---------------------------------------------------------------------------
// Detaching is not cancelling
// ---------------------------------------------------------------------------

#[test]
fn dropping_the_join_handle_detaches_and_the_task_runs_on() {
    let exec = Executor::simulated();
    let done = Counter::new();
    exec.block_on(async {
        let d = done.clone();
        drop(spawn(async move {
            sleep(ms(5)).await;
            d.add();
        }));
        sleep(ms(10)).await;
    });
    assert_eq!(done.get(), 1);
    assert_eq!(live_tasks(&exec), 0);
}

#[test]
fn abort_of_a_never_polled_task_that_is_then_forgotten() {
    // abort + drop the handle before the task's turn: still dropped once,
    // still never polled, and the table is empty afterwards.
    let exec = Executor::simulated();
    let task = ProbeState::new();
    exec.block_on(async {
        let handle = spawn(task.probe());
        handle.abort();
        drop(handle);
        yield_now().await;
        yield_now().await;
    });
    assert_eq!((task.polls.get(), task.drops.get()), (0, 1));
    assert_eq!(live_tasks(&exec), 0);
}
