//! Behaviour under faults: panics in tasks, in the main future and
//! in destructors; destructors that spawn or wake while the executor shuts
//! down; dropping an executor with work left; wakers that outlive their
//! executor.
//!
//! Every future here counts its drops: the executor's promise is that each
//! future handed to it is dropped **exactly once**, on its own thread, however
//! it ends. Regression scenarios cite the bug they rule out (see
//! `shared/research/style-and-design.md`, sections 2(d) and 3).
//!
//! The panics in these tests are deliberate; their messages on stderr are
//! expected.

mod millis;
mod panic_payload;
mod probes;

use std::cell::RefCell;
use std::future::{pending, poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use busy_chef::time::{sleep, Instant};
use busy_chef::{spawn, yield_now, Executor, JoinHandle};
use millis::ms;
use panic_payload::panic_message;
use probes::{live_tasks, pending_timers, poll_once, Counter, ProbeState};

/// Panics when dropped (unless the thread is already unwinding, which would
/// abort the process).
struct PanicOnDrop(&'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !thread::panicking() {
            panic!("{}", self.0);
        }
    }
}

// ---------------------------------------------------------------------------
// A task that panics
// ---------------------------------------------------------------------------

#[test]
fn task_panic_is_caught_reported_and_the_others_carry_on() {
    let exec = Executor::simulated();
    let bad_drops = Counter::new();
    let token = bad_drops.token();
    let (bad, good) = exec.block_on(async {
        let bad = spawn(async move {
            let _token = token;
            sleep(ms(5)).await;
            panic!("burnt the toast");
        });
        let good = spawn(async {
            sleep(ms(10)).await;
            7
        });
        (bad.await, good.await)
    });
    let err = bad.unwrap_err();
    assert!(err.is_panic() && !err.is_cancelled(), "{err:?}");
    assert!(
        err.to_string().ends_with("panicked: burnt the toast"),
        "{err}"
    );
    assert_eq!(panic_message(err.into_panic()), "burnt the toast");
    assert_eq!(good.unwrap(), 7, "the other task finished normally");
    assert_eq!(
        bad_drops.get(),
        1,
        "the panicking task's state is dropped once"
    );
    assert_eq!(live_tasks(&exec), 0, "both tasks left the task table");
    // The executor still works after a task panicked.
    assert_eq!(
        exec.block_on(async { spawn(async { 1 }).await.unwrap() }),
        1
    );
}

#[test]
fn task_panic_on_first_poll_with_nobody_awaiting_it() {
    let exec = Executor::simulated();
    let drops = Counter::new();
    let token = drops.token();
    drop(exec.spawn(async move {
        let _token = token;
        panic!("detached and panicking");
    }));
    let after = exec.block_on(async {
        yield_now().await;
        "still running"
    });
    assert_eq!(after, "still running");
    assert_eq!(drops.get(), 1);
    assert_eq!(live_tasks(&exec), 0);
}

// ---------------------------------------------------------------------------
// The main future of block_on panics
// ---------------------------------------------------------------------------

#[test]
fn main_future_panic_propagates_after_cleanup_and_the_executor_stays_usable() {
    let exec = Executor::simulated();
    let background = ProbeState::new();
    let background_handle = exec.spawn(background.probe());
    let main_drops = Counter::new();
    let sleeper = Rc::new(RefCell::new(None::<JoinHandle<&str>>));

    let result = catch_unwind(AssertUnwindSafe(|| {
        exec.block_on(async {
            let _token = main_drops.token();
            *sleeper.borrow_mut() = Some(spawn(async {
                sleep(ms(50)).await;
                "woke up"
            }));
            // A timer registered by the main future itself, still waiting
            // when the panic happens.
            let mut long_sleep = sleep(Duration::from_secs(3600));
            poll_fn(|cx| {
                let _ = Pin::new(&mut long_sleep).poll(cx);
                Poll::Ready(())
            })
            .await;
            sleep(ms(10)).await;
            panic!("the main future burnt");
        })
    }));

    let payload = result.expect_err("the panic reaches block_on's caller");
    assert_eq!(panic_message(payload), "the main future burnt");
    // Cleanup happened before the caller saw the panic: the main future's
    // state (its token and its one-hour `Sleep`) is dropped, its timer freed.
    assert_eq!(main_drops.get(), 1);
    assert_eq!(
        pending_timers(&exec),
        1,
        "only the spawned task's 50 ms timer is left"
    );
    // The executor no longer counts as running on this thread.
    let outside = catch_unwind(|| drop(spawn(async {})));
    assert!(
        outside.is_err(),
        "spawn outside block_on still panics after a main-future panic"
    );

    // The executor is still usable, and its tasks carried over.
    assert_eq!(background.polls.get(), 1);
    let woke = exec.block_on(async {
        let handle = sleeper.borrow_mut().take().unwrap();
        handle.await.unwrap()
    });
    assert_eq!(woke, "woke up");
    drop(background_handle);
    // Dropping the executor drops the task that never finished, once.
    assert_eq!(background.drops.get(), 0);
    drop(exec);
    assert_eq!(background.drops.get(), 1);
}

#[test]
fn block_on_function_main_panic_drops_the_spawned_tasks_once() {
    let task = ProbeState::new();
    let result = catch_unwind(AssertUnwindSafe(|| {
        busy_chef::block_on(async {
            drop(spawn(task.probe()));
            panic!("main panics before the task ever runs");
        })
    }));
    assert!(result.is_err());
    assert_eq!(
        task.polls.get(),
        0,
        "the panic came in the first turn, before the task's"
    );
    assert_eq!(
        task.drops.get(),
        1,
        "the throw-away executor dropped its task while unwinding"
    );
}

// ---------------------------------------------------------------------------
// A future whose Drop panics
// ---------------------------------------------------------------------------

/// Ready with its output at the first poll; panics when dropped afterwards.
struct ReadyThenPanicOnDrop {
    output: Option<probes::DropToken>,
    _bomb: PanicOnDrop,
}

impl Future for ReadyThenPanicOnDrop {
    type Output = probes::DropToken;
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<probes::DropToken> {
        Poll::Ready(self.output.take().expect("polled after Ready"))
    }
}

#[test]
fn future_whose_drop_panics_after_completing_reports_the_panic() {
    // The output is ready, but dropping the finished future panics. The task
    // reports the panic (its output is dropped): a task's result says whether
    // all of its code ran cleanly, and its destructor is part of its code.
    let exec = Executor::simulated();
    let output_drops = Counter::new();
    let future = ReadyThenPanicOnDrop {
        output: Some(output_drops.token()),
        _bomb: PanicOnDrop("the pan exploded while being put away"),
    };
    let result = exec.block_on(async { spawn(future).await });
    let err = result.expect_err("the destructor's panic is the task's result");
    assert!(err.is_panic());
    assert_eq!(
        panic_message(err.into_panic()),
        "the pan exploded while being put away"
    );
    assert_eq!(output_drops.get(), 1, "the output was dropped, once");
    assert_eq!(exec.block_on(async { 5 }), 5, "the executor carries on");
}

#[test]
fn future_whose_drop_panics_when_aborted_reports_the_panic() {
    let exec = Executor::simulated();
    let result = exec.block_on(async {
        let handle = spawn(async {
            let _bomb = PanicOnDrop("panic while being cancelled");
            pending::<()>().await;
        });
        yield_now().await; // the task waits, holding the bomb
        handle.abort();
        handle.await
    });
    let err = result.unwrap_err();
    assert!(
        err.is_panic(),
        "a panic in the destructor replaces 'cancelled': {err:?}"
    );
}

#[test]
fn future_whose_drop_panics_during_shutdown_does_not_stop_the_shutdown() {
    let exec = Executor::simulated();
    let before = ProbeState::new();
    let after = ProbeState::new();
    let _b = exec.spawn(before.probe());
    let bomb = exec.spawn(async {
        let _bomb = PanicOnDrop("panic during executor shutdown");
        pending::<()>().await;
    });
    let _a = exec.spawn(after.probe());
    exec.block_on(yield_now());
    assert_eq!((before.polls.get(), after.polls.get()), (1, 1));

    drop(exec); // must not panic
    assert_eq!(before.drops.get(), 1);
    assert_eq!(
        after.drops.get(),
        1,
        "tasks after the panicking one are dropped too"
    );
    let mut bomb = bomb;
    match poll_once(&mut bomb) {
        Poll::Ready(Err(err)) => assert!(err.is_panic(), "{err:?}"),
        other => panic!("expected the destructor's panic, got {other:?}"),
    }
}

#[test]
fn output_whose_drop_panics_is_swallowed_whoever_drops_it() {
    // An output nobody reads is dropped by the executor (detached task) or by
    // the `JoinHandle`'s drop; a panic in its destructor is swallowed in both
    // cases, so neither the executor nor the code dropping a handle unwinds.
    let exec = Executor::simulated();
    let drops = Counter::new();
    let (detached, claimed) = (drops.token(), drops.token());
    drop(exec.spawn(async move { (detached, PanicOnDrop("unread output, detached")) }));
    let handle = exec.spawn(async move { (claimed, PanicOnDrop("unread output, handle")) });
    exec.block_on(yield_now());
    assert_eq!(
        drops.get(),
        1,
        "the detached output was dropped by the executor"
    );
    assert!(handle.is_finished());
    drop(handle); // must not panic
    assert_eq!(
        drops.get(),
        2,
        "the unread output was dropped with its handle"
    );
    assert_eq!(exec.block_on(async { 3 }), 3);
}

#[test]
fn main_future_whose_drop_panics_propagates_and_the_executor_stays_usable() {
    let exec = Executor::simulated();
    let result = catch_unwind(AssertUnwindSafe(|| {
        exec.block_on(async {
            let _bomb = PanicOnDrop("main future's destructor");
            yield_now().await;
            1
        })
    }));
    assert_eq!(
        panic_message(result.unwrap_err()),
        "main future's destructor"
    );
    assert_eq!(exec.block_on(async { 2 }), 2);
}

// ---------------------------------------------------------------------------
// Destructors that spawn or wake during shutdown (async-executor#163)
// ---------------------------------------------------------------------------

/// When dropped, spawns `inner` on "the running executor" and keeps the
/// handle in `spawned`.
struct SpawnOnDrop {
    inner: ProbeState,
    spawned: Rc<RefCell<Option<JoinHandle<()>>>>,
}

impl Drop for SpawnOnDrop {
    fn drop(&mut self) {
        let handle = spawn(self.inner.probe());
        *self.spawned.borrow_mut() = Some(handle);
    }
}

#[test]
fn drop_that_spawns_during_shutdown_gets_a_cancelled_handle() {
    // What happens: while the executor shuts down, `spawn` reaches the
    // executor being dropped (not a panic "no executor running"). It refuses
    // politely: the new future is dropped at once, never polled, and the
    // handle reports "cancelled".
    let exec = Executor::simulated();
    let inner = ProbeState::new();
    let spawned = Rc::new(RefCell::new(None));
    let spawner = SpawnOnDrop {
        inner: inner.clone(),
        spawned: spawned.clone(),
    };
    let _handle = exec.spawn(async move {
        let _spawner = spawner;
        pending::<()>().await;
    });
    exec.block_on(yield_now());

    drop(exec);
    let mut late = spawned.borrow_mut().take().expect("the Drop spawned");
    assert!(late.is_finished());
    match poll_once(&mut late) {
        Poll::Ready(Err(err)) => assert!(err.is_cancelled(), "{err:?}"),
        other => panic!("expected a cancelled handle, got {other:?}"),
    }
    assert_eq!(
        inner.polls.get(),
        0,
        "a task spawned during shutdown never runs"
    );
    assert_eq!(inner.drops.get(), 1, "its future is dropped exactly once");
}

/// When dropped, wakes every waker it can reach (by reference, by value, and
/// by a clone).
struct WakeOnDrop(Vec<ProbeState>);

impl Drop for WakeOnDrop {
    fn drop(&mut self) {
        for state in &self.0 {
            if let Some(waker) = state.waker.borrow().clone() {
                waker.wake_by_ref();
                let clone = waker.clone(); // a clone, woken by value
                clone.wake();
                waker.wake();
            }
        }
    }
}

#[test]
fn drop_that_wakes_tasks_during_shutdown_is_harmless() {
    // Regression scenario for async-executor#163 (a waker fired during the
    // executor's Drop was a use-after-free) and tokio#1972 (dropping a task
    // inside a wake deadlocked). What happens here: tasks are shut down in
    // slot order; a wake of a task not yet shut down queues it on the closing
    // executor, which never runs it again (the queue is discarded); a wake of
    // a task already shut down does nothing. Meanwhile another thread wakes
    // the same tasks in a loop. No poll, no double drop, no deadlock.
    let exec = Executor::simulated();
    let first = ProbeState::new();
    let middle = ProbeState::new();
    let last = ProbeState::new();
    // Slot 0 wakes `middle` (not yet shut down) and itself; slot 2 wakes
    // `first` and `middle` (already shut down) and itself.
    let waker_0 = WakeOnDrop(vec![middle.clone(), first.clone()]);
    let waker_2 = WakeOnDrop(vec![first.clone(), middle.clone(), last.clone()]);
    let (first_probe, middle_probe, last_probe) = (first.probe(), middle.probe(), last.probe());
    let _h0 = exec.spawn(async move {
        let _w = waker_0;
        first_probe.await
    });
    let _h1 = exec.spawn(middle_probe);
    let _h2 = exec.spawn(async move {
        let _w = waker_2;
        last_probe.await
    });
    exec.block_on(yield_now());
    let polls = |s: &ProbeState| s.polls.get();
    assert_eq!((polls(&first), polls(&middle), polls(&last)), (1, 1, 1));

    let remote: Vec<Waker> = [&first, &middle, &last]
        .iter()
        .map(|s| s.waker.borrow().clone().unwrap())
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let wakes = Arc::new(AtomicUsize::new(0));
    let hammer = {
        let (stop, wakes) = (stop.clone(), wakes.clone());
        thread::spawn(move || {
            while !stop.load(Ordering::Acquire) || wakes.load(Ordering::Relaxed) < 100 {
                for waker in &remote {
                    waker.wake_by_ref();
                }
                wakes.fetch_add(1, Ordering::Relaxed);
            }
            drop(remote); // possibly the last references: frees the tasks here
        })
    };
    while wakes.load(Ordering::Relaxed) < 10 {
        thread::yield_now();
    }
    drop(exec);
    stop.store(true, Ordering::Release);
    hammer.join().unwrap();

    assert_eq!((polls(&first), polls(&middle), polls(&last)), (1, 1, 1));
    for state in [&first, &middle, &last] {
        assert_eq!(state.drops.get(), 1);
    }
}

#[test]
fn drop_that_drops_a_sleep_or_aborts_a_task_during_shutdown() {
    // A destructor that cancels a timer (dropping a `Sleep` reaches into the
    // wheel) or aborts another task while the executor tears down.
    let exec = Executor::simulated();
    let victim = ProbeState::new();
    let victim_handle = exec.spawn(victim.probe());
    let victim_handle = Rc::new(RefCell::new(Some(victim_handle)));
    let in_task = victim_handle.clone();
    let sleeper_drops = Counter::new();
    let token = sleeper_drops.token();
    let _h = exec.spawn(async move {
        struct AbortOnDrop(Rc<RefCell<Option<JoinHandle<()>>>>);
        impl Drop for AbortOnDrop {
            fn drop(&mut self) {
                if let Some(handle) = &*self.0.borrow() {
                    handle.abort();
                }
            }
        }
        let _abort = AbortOnDrop(in_task);
        let _token = token;
        sleep(Duration::from_secs(60)).await;
    });
    exec.block_on(yield_now());
    assert_eq!(pending_timers(&exec), 1);
    drop(exec);
    assert_eq!(sleeper_drops.get(), 1);
    assert_eq!(victim.drops.get(), 1);
    let mut handle = victim_handle.borrow_mut().take().unwrap();
    assert!(matches!(poll_once(&mut handle), Poll::Ready(Err(e)) if e.is_cancelled()));
}

// ---------------------------------------------------------------------------
// Dropping the executor with work left
// ---------------------------------------------------------------------------

/// A waker that only counts how many clones of it exist (through the `Arc`).
struct Noop;
impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

#[test]
fn dropping_the_executor_drops_every_pending_future_once_and_frees_every_timer() {
    let exec = Executor::simulated();
    let mut probes = Vec::new();
    let mut handles = Vec::new();
    let output_drops = Counter::new();

    // Waiting for a wake that never comes (no timer).
    let waiting = ProbeState::new();
    handles.push(exec.spawn(waiting.probe()));
    probes.push(waiting.clone());
    // Waiting on timers: near, far (level 5), beyond the wheel (overflow).
    let sleep_drops = Counter::new();
    for secs in [1, 86_400 * 30, 86_400 * 365 * 10] {
        let token = sleep_drops.token();
        handles.push(exec.spawn(async move {
            let _token = token;
            sleep(Duration::from_secs(secs)).await;
        }));
    }
    // Awaiting another task's JoinHandle (the awaited task holds the
    // awaiter's waker: a reference cycle the shutdown must break).
    let awaited = ProbeState::new();
    let awaited_handle = exec.spawn(awaited.probe());
    let awaiter = ProbeState::new();
    let awaiter_probe = awaiter.probe();
    handles.push(exec.spawn(async move {
        let _probe = awaiter_probe;
        let _ = awaited_handle.await;
    }));
    probes.push(awaited.clone());
    probes.push(awaiter.clone());
    // A timer whose waker is not a task's: the wheel must drop it.
    let foreign = Arc::new(Noop);
    let foreign_waker = Waker::from(foreign.clone());
    let foreign_drops = Counter::new();
    let token = foreign_drops.token();
    handles.push(exec.spawn(async move {
        let _token = token;
        let mut timer = sleep(Duration::from_secs(5));
        let _ = Pin::new(&mut timer).poll(&mut Context::from_waker(&foreign_waker));
        drop(foreign_waker);
        pending::<()>().await;
    }));
    // Finished, with an output nobody has read yet / nobody will read.
    let token = output_drops.token();
    let unread = exec.spawn(async move { token });
    let token = output_drops.token();
    drop(exec.spawn(async move { token }));

    exec.block_on(async {
        sleep(ms(1)).await;
    });
    // A registered `Sleep` that outlives the executor: only the wheel's own
    // teardown can free its timer.
    #[allow(clippy::async_yields_async)]
    let kept_sleep = exec.block_on(async {
        let mut timer = sleep(Duration::from_secs(7));
        let waker = Waker::from(foreign.clone());
        let _ = Pin::new(&mut timer).poll(&mut Context::from_waker(&waker));
        timer
    });

    // Queued but not yet run: woken from another thread after block_on
    // returned, never polled, and aborted-but-not-yet-run.
    let queued = ProbeState::new();
    handles.push(exec.spawn(queued.probe()));
    probes.push(queued.clone());
    let remote = waiting.waker.borrow().clone().unwrap();
    thread::spawn(move || remote.wake()).join().unwrap();
    let aborted = ProbeState::new();
    let aborted_handle = exec.spawn(aborted.probe());
    aborted_handle.abort();
    probes.push(aborted.clone());

    assert_eq!(pending_timers(&exec), 5, "3 sleeps and 2 foreign timers");
    assert_eq!(
        Arc::strong_count(&foreign),
        3,
        "the wheel holds 2 foreign wakers"
    );
    assert_eq!(output_drops.get(), 1, "the detached output is gone already");
    let polls_before: Vec<u32> = probes.iter().map(|p| p.polls.get()).collect();

    drop(exec);

    for (i, probe) in probes.iter().enumerate() {
        assert_eq!(probe.drops.get(), 1, "probe {i} dropped exactly once");
        assert_eq!(
            probe.polls.get(),
            polls_before[i],
            "probe {i} not polled by the shutdown"
        );
    }
    assert_eq!(sleep_drops.get(), 3);
    assert_eq!(foreign_drops.get(), 1);
    assert_eq!(
        Arc::strong_count(&foreign),
        1,
        "the wheel dropped its timers' wakers"
    );
    drop(kept_sleep); // its executor is gone: a quiet no-op
    for mut handle in handles.into_iter().chain([aborted_handle]) {
        assert!(handle.is_finished());
        assert!(matches!(poll_once(&mut handle), Poll::Ready(Err(e)) if e.is_cancelled()));
    }
    assert_eq!(
        output_drops.get(),
        1,
        "the unread output waits for its handle"
    );
    drop(unread);
    assert_eq!(output_drops.get(), 2);
}

#[test]
fn dropping_an_executor_that_never_ran_drops_its_spawned_futures() {
    let exec = Executor::new();
    let never_run: Vec<ProbeState> = (0..10).map(|_| ProbeState::new()).collect();
    for state in &never_run {
        drop(exec.spawn(state.probe()));
    }
    drop(exec);
    for state in &never_run {
        assert_eq!((state.polls.get(), state.drops.get()), (0, 1));
    }
}

// ---------------------------------------------------------------------------
// Wakers that outlive their executor (zed#21020, tokio#6091)
// ---------------------------------------------------------------------------

#[test]
fn wake_after_executor_dropped_from_another_thread_holding_the_last_reference() {
    // zed#21020: async-task's last-waker drop "scheduled one more time" to
    // drop the future, and with a closed channel dropped it on the wrong
    // thread. Here the future is `!Send` and records where it is dropped: it
    // must be the executor's thread, at the executor's drop, even though the
    // last reference to the task's allocation is a waker on another thread.
    let main_thread = thread::current().id();
    let dropped_on = Rc::new(RefCell::new(Vec::new()));
    struct RecordThread(Rc<RefCell<Vec<thread::ThreadId>>>);
    impl Drop for RecordThread {
        fn drop(&mut self) {
            self.0.borrow_mut().push(thread::current().id());
        }
    }
    let exec = Executor::simulated();
    let state = ProbeState::new();
    let probe = state.probe();
    let record = RecordThread(dropped_on.clone());
    drop(exec.spawn(async move {
        let _record = record; // `Rc` inside: this future is not `Send`
        probe.await;
    }));
    exec.block_on(yield_now());

    let waker = state.waker.borrow_mut().take().unwrap();
    let (go, wait_for_go) = mpsc::channel::<()>();
    let other = thread::spawn(move || {
        wait_for_go.recv().unwrap();
        waker.wake_by_ref();
        let clone = waker.clone();
        clone.wake();
        waker.wake(); // the last reference: frees the task on this thread
    });
    drop(exec);
    assert_eq!(*dropped_on.borrow(), [main_thread], "dropped once, at home");
    go.send(()).unwrap();
    other.join().unwrap();
    assert_eq!(dropped_on.borrow().len(), 1);
    assert_eq!(state.polls.get(), 1);
}

#[test]
fn stored_waker_of_the_main_future_is_inert_after_block_on_returns() {
    // A waker of `block_on`'s main future, kept after block_on returned and
    // woken during the next block_on: it names an old main future, and is
    // ignored (the new main future is not polled because of it).
    let exec = Executor::simulated();
    let old = exec.block_on(poll_fn(|cx| Poll::Ready(cx.waker().clone())));
    let second_poll_at = exec.block_on(async {
        let mut first = true;
        poll_fn(|_cx| {
            if first {
                first = false;
                old.wake_by_ref(); // if this reached the new main future...
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .or_until(sleep(ms(5)))
        .await;
        Instant::now().since_origin()
    });
    assert_eq!(
        second_poll_at,
        ms(5),
        "...it would have been polled again at once, not when its timer fired"
    );
    drop(exec);
    old.wake();
}

#[test]
fn a_waker_dropped_by_a_thread_local_destructor_is_harmless() {
    // tokio#6091/#6148: a wake or drop that runs after the thread-local
    // "current executor" is gone, during thread exit.
    struct KeepWaker(RefCell<Option<Waker>>);
    impl Drop for KeepWaker {
        fn drop(&mut self) {
            if let Some(waker) = self.0.borrow_mut().take() {
                waker.wake_by_ref();
                drop(waker);
            }
        }
    }
    thread_local! {
        static KEPT: KeepWaker = const { KeepWaker(RefCell::new(None)) };
    }
    thread::spawn(|| {
        let exec = Executor::simulated();
        let state = ProbeState::new();
        drop(exec.spawn(state.probe()));
        exec.block_on(yield_now());
        let waker = state.waker.borrow().clone().unwrap();
        KEPT.with(|kept| *kept.0.borrow_mut() = Some(waker));
        drop(exec);
        assert_eq!(state.drops.get(), 1);
    })
    .join()
    .unwrap();
}

/// `a.or_until(b)`: done when either `a` or `b` is (a tiny `select`).
trait OrUntil: Future<Output = ()> + Sized {
    fn or_until<B: Future<Output = ()>>(self, b: B) -> impl Future<Output = ()> {
        let mut a = Box::pin(self);
        let mut b = Box::pin(b);
        poll_fn(move |cx| {
            if a.as_mut().poll(cx).is_ready() || b.as_mut().poll(cx).is_ready() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }
}
impl<F: Future<Output = ()>> OrUntil for F {}

// ---------------------------------------------------------------------------
// A waker that panics when woken (tokio#4055, async-task waker_panic.rs)
// ---------------------------------------------------------------------------

/// A waker of our own whose `wake` panics.
struct PanickingWaker;
impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        panic!("a waker that panics");
    }
}

#[test]
fn panicking_timer_waker_propagates_but_loses_no_other_wake() {
    // Timers due at the same tick are woken together. One of them has a
    // waker that panics: the panic reaches block_on's caller (busy-chef does
    // not hide a bug in a waker), but only after every other due timer was
    // woken, so no task sleeps forever because of someone else's waker.
    let exec = Executor::simulated();
    let done = Counter::new();
    for _ in 0..3 {
        let done = done.clone();
        drop(exec.spawn(async move {
            yield_now().await; // so that the panicking timer is first in line
            sleep(ms(10)).await;
            done.add();
        }));
    }
    let result = catch_unwind(AssertUnwindSafe(|| {
        exec.block_on(async {
            let mut bad = sleep(ms(10));
            let waker = Waker::from(Arc::new(PanickingWaker));
            let _ = Pin::new(&mut bad).poll(&mut Context::from_waker(&waker));
            sleep(ms(20)).await;
        })
    }));
    assert_eq!(panic_message(result.unwrap_err()), "a waker that panics");
    // The three sleepers were woken in the same batch; they finish now.
    exec.block_on(async { sleep(ms(1)).await });
    assert_eq!(done.get(), 3, "a wake in the panicking batch was lost");
    assert_eq!(pending_timers(&exec), 0);
}

#[test]
fn panicking_awaiter_waker_propagates_and_the_executor_stays_usable() {
    // A `JoinHandle` polled by hand with a waker that panics: when the task
    // finishes, waking its awaiter panics. The panic reaches block_on's
    // caller; the task's result is still there for the handle.
    let exec = Executor::simulated();
    let mut handle = exec.spawn(async { 7 });
    let waker = Waker::from(Arc::new(PanickingWaker));
    assert!(Pin::new(&mut handle)
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    let result = catch_unwind(AssertUnwindSafe(|| exec.block_on(yield_now())));
    assert_eq!(panic_message(result.unwrap_err()), "a waker that panics");
    assert!(handle.is_finished());
    assert!(matches!(poll_once(&mut handle), Poll::Ready(Ok(7))));
    assert_eq!(
        exec.block_on(async { spawn(async { 8 }).await.unwrap() }),
        8
    );
}

#[test]
fn panicking_awaiter_waker_during_shutdown_still_drops_every_future_on_its_thread() {
    // Shutting down a task wakes whoever awaits it. If that waker panics,
    // the shutdown must go on for every other task: a task left behind would
    // be freed by whichever thread drops its last waker, and its future (here
    // holding an `Rc`, which is not `Send`) dropped on that thread.
    struct RecordsItsDropThread {
        _not_send: Rc<()>,
        dropped_on: mpsc::Sender<thread::ThreadId>,
    }
    impl Drop for RecordsItsDropThread {
        fn drop(&mut self) {
            let _ = self.dropped_on.send(thread::current().id());
        }
    }
    let exec = Executor::new();
    let mut awaited = exec.spawn(pending::<()>());
    let panicking = Waker::from(Arc::new(PanickingWaker));
    let polled = Pin::new(&mut awaited).poll(&mut Context::from_waker(&panicking));
    assert!(
        polled.is_pending(),
        "the awaiter's waker is now the panicking one"
    );
    let (dropped_on, drops) = mpsc::channel();
    let (kept_tx, kept_rx) = mpsc::channel();
    drop(exec.spawn(async move {
        let _guard = RecordsItsDropThread {
            _not_send: Rc::new(()),
            dropped_on,
        };
        poll_fn(|cx| {
            kept_tx.send(cx.waker().clone()).unwrap();
            Poll::<()>::Pending
        })
        .await
    }));
    exec.block_on(yield_now());
    let kept = kept_rx.recv().unwrap();

    let shutdown = catch_unwind(AssertUnwindSafe(|| drop(exec)));
    assert_eq!(
        panic_message(shutdown.expect_err("the waker's panic comes out of the drop")),
        "a waker that panics"
    );
    assert_eq!(
        drops.try_recv(),
        Ok(thread::current().id()),
        "the second task's future was dropped during the shutdown, on the executor's thread"
    );
    thread::spawn(move || drop(kept)).join().unwrap();
    assert!(drops.try_recv().is_err(), "and only once");
    assert!(awaited.is_finished());
}

// ---------------------------------------------------------------------------
// Cycles and nesting
// ---------------------------------------------------------------------------

#[test]
fn task_that_owns_its_own_join_handle_is_freed() {
    // Task → its future → its own JoinHandle → the task: a reference cycle,
    // broken when the future is dropped (at completion, or at shutdown).
    // Nothing in the test can see the allocation itself; the memory check
    // (`.ci/memcheck.sh`) would report it as definitely lost.
    let exec = Executor::simulated();
    let outputs = Counter::new();
    let futures = Counter::new();
    let mut slots = Vec::new();
    for complete in [true, false] {
        let slot: Rc<RefCell<Option<JoinHandle<probes::DropToken>>>> = Rc::default();
        let in_task = slot.clone();
        let (output, future_token) = (outputs.token(), futures.token());
        let handle = exec.spawn(async move {
            let _own_handle = in_task; // holds the task's own handle
            let _future_token = future_token;
            yield_now().await;
            if !complete {
                std::future::pending::<()>().await;
            }
            output
        });
        *slot.borrow_mut() = Some(handle);
        slots.push(slot);
    }
    drop(slots);
    exec.block_on(async {
        yield_now().await;
        yield_now().await;
    });
    assert_eq!(futures.get(), 1, "the completed task's future is gone");
    assert_eq!(
        outputs.get(),
        1,
        "its output was dropped: nobody can read it"
    );
    drop(exec);
    assert_eq!(futures.get(), 2, "the pending one is dropped at shutdown");
    assert_eq!(outputs.get(), 2);
}

#[test]
fn dropping_an_executor_inside_another_executors_task() {
    // The inner executor's shutdown marks itself as "running here" for its
    // destructors; afterwards the outer executor must be the running one
    // again (spawn and sleep reach it).
    let outer = Executor::simulated();
    let inner_task = ProbeState::new();
    let inner = Executor::simulated();
    drop(inner.spawn(inner_task.probe()));
    let result = outer.block_on(async move {
        drop(inner);
        let handle = spawn(async {
            sleep(ms(5)).await;
            "outer still running"
        });
        handle.await.unwrap()
    });
    assert_eq!(result, "outer still running");
    assert_eq!((inner_task.polls.get(), inner_task.drops.get()), (0, 1));
}

#[test]
fn block_on_inside_a_destructor_during_shutdown_is_refused_and_reported() {
    // A destructor that calls `block_on` while its executor shuts down is a
    // nested block_on: it panics (with the nested-block_on message), the
    // panic is caught, and the task reports it. The shutdown goes on.
    struct BlockOnInDrop;
    impl Drop for BlockOnInDrop {
        fn drop(&mut self) {
            busy_chef::block_on(async {});
        }
    }
    let exec = Executor::simulated();
    let other = ProbeState::new();
    let mut handle = exec.spawn(async {
        let _guard = BlockOnInDrop;
        std::future::pending::<()>().await;
    });
    drop(exec.spawn(other.probe()));
    exec.block_on(yield_now());
    drop(exec);
    match poll_once(&mut handle) {
        Poll::Ready(Err(err)) => {
            assert!(err.is_panic());
            assert!(panic_message(err.into_panic()).contains("block_on was called inside"));
        }
        other => panic!("expected the nested block_on's panic, got {other:?}"),
    }
    assert_eq!(other.drops.get(), 1);
}
