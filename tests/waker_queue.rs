//! The rules of the waker queue, as scenarios (see `executor/queue.rs` and
//! `executor/task.rs`): a task is queued at most once, a wake during a poll
//! gets one more poll, late wakes do nothing, ids are never reused, and the
//! loop is fair.

mod panic_payload;

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use busy_chef::time::{sleep, Instant};
use busy_chef::{spawn, yield_now, Executor};
use panic_payload::panic_message;

/// A future that records each poll in a log and hands out its waker, and is
/// ready once `ready` is set.
struct Probe {
    name: &'static str,
    log: Rc<RefCell<Vec<String>>>,
    waker: Rc<RefCell<Option<Waker>>>,
    ready: Rc<Cell<bool>>,
}

impl Future for Probe {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.log.borrow_mut().push(format!("poll {}", self.name));
        *self.waker.borrow_mut() = Some(cx.waker().clone());
        if self.ready.get() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[allow(clippy::type_complexity)]
fn probe(
    name: &'static str,
    log: &Rc<RefCell<Vec<String>>>,
) -> (Probe, Rc<RefCell<Option<Waker>>>, Rc<Cell<bool>>) {
    let waker = Rc::new(RefCell::new(None));
    let ready = Rc::new(Cell::new(false));
    let probe = Probe {
        name,
        log: log.clone(),
        waker: waker.clone(),
        ready: ready.clone(),
    };
    (probe, waker, ready)
}

#[test]
fn many_wakes_before_a_run_give_one_poll() {
    let exec = Executor::simulated();
    let log = Rc::new(RefCell::new(Vec::new()));
    let (task, waker, ready) = probe("task", &log);
    let handle = exec.spawn(task);
    exec.block_on(async {
        yield_now().await; // let the task's first poll happen
        let waker = waker.borrow().clone().unwrap();
        for _ in 0..100 {
            waker.wake_by_ref();
        }
        ready.set(true);
        handle.await.unwrap();
    });
    assert_eq!(*log.borrow(), ["poll task", "poll task"]);
}

#[test]
fn wake_during_poll_gets_polled_again_next_turn() {
    let exec = Executor::simulated();
    let log = Rc::new(RefCell::new(Vec::new()));
    let polls = Rc::new(Cell::new(0));
    let (l, p) = (log.clone(), polls.clone());
    let handle = exec.spawn(poll_fn(move |cx| {
        p.set(p.get() + 1);
        l.borrow_mut().push(format!("self-waking poll {}", p.get()));
        if p.get() < 3 {
            cx.waker().wake_by_ref(); // wake myself while I am being polled
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }));
    let l = log.clone();
    exec.spawn(async move {
        for turn in 1..=3 {
            l.borrow_mut().push(format!("other task, turn {turn}"));
            yield_now().await;
        }
    });
    exec.block_on(handle).unwrap();
    // One poll per turn each, interleaved: the self-wake did not jump the
    // queue. (The main future, woken when the self-waking task finished,
    // comes after the other task's third turn.)
    assert_eq!(
        *log.borrow(),
        [
            "self-waking poll 1",
            "other task, turn 1",
            "self-waking poll 2",
            "other task, turn 2",
            "self-waking poll 3",
            "other task, turn 3",
        ]
    );
}

#[test]
fn waking_after_completion_does_not_poll() {
    let exec = Executor::simulated();
    let log = Rc::new(RefCell::new(Vec::new()));
    let (task, waker, ready) = probe("task", &log);
    ready.set(true);
    let handle = exec.spawn(task);
    exec.block_on(async {
        handle.await.unwrap();
        let waker = waker.borrow().clone().unwrap();
        waker.wake_by_ref();
        waker.wake();
        yield_now().await;
        yield_now().await;
    });
    assert_eq!(*log.borrow(), ["poll task"]);
}

#[test]
fn a_stale_waker_never_wakes_a_newer_task_in_the_same_slot() {
    let exec = Executor::simulated();
    let log = Rc::new(RefCell::new(Vec::new()));
    let (old, old_waker, old_ready) = probe("old", &log);
    old_ready.set(true);
    let (new, _new_waker, _new_ready) = probe("new", &log);
    exec.block_on(async {
        let old_handle = spawn(old);
        let old_id = old_handle.id();
        old_handle.await.unwrap();
        // The old task's slot is free now; the new task takes it.
        let new_handle = spawn(new);
        assert_ne!(new_handle.id(), old_id, "ids are never reused");
        yield_now().await; // the new task's first poll
        old_waker.borrow().clone().unwrap().wake();
        yield_now().await;
        yield_now().await;
        new_handle.abort();
    });
    assert_eq!(*log.borrow(), ["poll old", "poll new"]);
}

#[test]
fn waking_after_the_executor_is_dropped_does_nothing() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let (task, waker, _ready) = probe("task", &log);
    let exec = Executor::simulated();
    let _detached = exec.spawn(task);
    exec.block_on(yield_now());
    let waker = waker.borrow_mut().take().unwrap();
    drop(exec);
    // From this thread and from another one; by reference and by value.
    waker.wake_by_ref();
    let clone = waker.clone();
    std::thread::spawn(move || clone.wake()).join().unwrap();
    drop(waker);
    assert_eq!(*log.borrow(), ["poll task"]);
}

#[test]
fn task_ids_count_up_and_are_never_reused() {
    let exec = Executor::simulated();
    let ids: Vec<u64> = exec.block_on(async {
        let mut ids = Vec::new();
        for _ in 0..5 {
            let handle = spawn(async {});
            ids.push(handle.id().as_u64());
            handle.await.unwrap();
        }
        ids
    });
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let id = exec.spawn(async {}).id();
    assert_eq!(format!("{id:?}"), format!("task-{}", id.as_u64()));
}

/// Real clock: on a simulated clock, time only moves when no task is ready,
/// and this spinner is always ready. (tokio#5223 and futures-rs#2333 are
/// this bug class: a self-waking task starving the timers.)
#[test]
fn a_task_that_yields_forever_does_not_starve_timers_or_other_tasks() {
    let exec = Executor::new();
    let spins = Rc::new(Cell::new(0u64));
    let s = spins.clone();
    let spinner = exec.spawn(async move {
        loop {
            s.set(s.get() + 1);
            yield_now().await;
        }
    });
    let other_ran = Rc::new(Cell::new(false));
    let o = other_ran.clone();
    exec.spawn(async move { o.set(true) });
    exec.block_on(async {
        // A timer must still fire although the spinner is always ready.
        sleep(Duration::from_millis(5)).await;
    });
    assert!(other_ran.get());
    assert!(spins.get() >= 1);
    spinner.abort();
}

#[test]
fn the_loop_runs_tasks_in_wake_order() {
    let exec = Executor::simulated();
    let order = Rc::new(RefCell::new(Vec::new()));
    for name in ["a", "b", "c"] {
        let order = order.clone();
        exec.spawn(async move {
            order.borrow_mut().push(format!("{name}1"));
            yield_now().await;
            order.borrow_mut().push(format!("{name}2"));
        });
    }
    exec.block_on(async {
        for _ in 0..3 {
            yield_now().await;
        }
    });
    assert_eq!(*order.borrow(), ["a1", "b1", "c1", "a2", "b2", "c2"]);
}

#[test]
fn spawn_from_inside_a_task() {
    let exec = Executor::simulated();
    let total = exec.block_on(async {
        let outer = spawn(async {
            let inner = spawn(async { 20 });
            inner.await.unwrap() + 1
        });
        outer.await.unwrap() * 2
    });
    assert_eq!(total, 42);
}

#[test]
fn nested_block_on_panics_with_a_clear_message() {
    let exec = Executor::simulated();
    let handle = exec.spawn(async { busy_chef::block_on(async {}) });
    let err = exec.block_on(handle).unwrap_err();
    let message = panic_message(err.into_panic());
    assert!(
        message.contains("block_on was called inside a future"),
        "{message}"
    );
    assert!(
        message.contains(".await"),
        "says what to do instead: {message}"
    );
}

#[test]
fn spawn_outside_an_executor_panics_with_a_clear_message() {
    let panic = std::panic::catch_unwind(|| busy_chef::spawn(async {})).unwrap_err();
    let message = panic_message(panic);
    assert!(message.contains("busy_chef::spawn was called with no busy-chef executor running"));
    assert!(
        message.contains("block_on"),
        "says how to fix it: {message}"
    );
}

#[test]
fn sleep_outside_an_executor_panics_with_a_clear_message() {
    let panic =
        std::panic::catch_unwind(|| busy_chef::time::sleep(Duration::from_secs(1))).unwrap_err();
    let message = panic_message(panic);
    assert!(
        message.contains("busy_chef::time::sleep was called with no busy-chef executor running")
    );
}

#[test]
fn instant_now_follows_the_running_executors_clock() {
    let exec = Executor::simulated();
    let (start, end) = exec.block_on(async {
        let start = Instant::now();
        sleep(Duration::from_secs(3600)).await;
        (start, Instant::now())
    });
    assert_eq!(end - start, Duration::from_secs(3600));
    // Outside an executor, Instant::now() reads the real clock.
    let real = Instant::now();
    std::thread::sleep(Duration::from_millis(2));
    assert!(real.elapsed() >= Duration::from_millis(2));
}

#[test]
fn wake_from_another_thread_while_the_executor_is_parked() {
    let exec = Executor::new(); // real clock: the executor really parks
    let started = std::time::Instant::now();
    let slot: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
    let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (s, f) = (slot.clone(), flag.clone());
    let thread = std::thread::spawn(move || {
        // Wait until the task has parked its waker, then wake it later.
        loop {
            if let Some(waker) = s.lock().unwrap().take() {
                std::thread::sleep(Duration::from_millis(50));
                f.store(true, std::sync::atomic::Ordering::SeqCst);
                waker.wake();
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    exec.block_on(poll_fn(|cx| {
        if flag.load(std::sync::atomic::Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            *slot.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        }
    }));
    thread.join().unwrap();
    // Generous bound: it woke because of the other thread, not a timeout.
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn one_executor_runs_several_block_ons_in_turn_and_keeps_its_tasks() {
    let exec = Executor::simulated();
    let handle = exec.spawn(async {
        sleep(Duration::from_secs(10)).await;
        "slow"
    });
    let quick = exec.block_on(async { 1 + 1 });
    assert_eq!(quick, 2);
    assert!(!handle.is_finished());
    assert_eq!(exec.block_on(handle).unwrap(), "slow");
}

#[test]
fn debug_output_names_tasks_and_state() {
    let exec = Executor::simulated();
    let handle = exec.spawn(async { sleep(Duration::from_secs(1)).await });
    exec.block_on(yield_now());
    let text = format!("{exec:?}");
    assert!(text.contains("Simulated"), "{text}");
    assert!(text.contains("tasks: 1"), "{text}");
    assert!(text.contains("timers: 1"), "{text}");
    assert!(format!("{handle:?}").contains("finished: false"));
}

/// Regression test: `will_wake` used to say `false` for a task's own waker.
/// The borrowed waker of each poll and a clone of it got their vtable from
/// two different places in the code, and the compiler may give a `const`
/// one copy per place: same functions, two addresses. A future that keeps
/// its waker and re-clones it only when `will_wake` says no (`AtomicWaker`,
/// the bench's mailbox) then cloned it on every poll: two atomic operations
/// each time, for nothing. Every waker now takes its vtable from one
/// function. Each future type below is a distinct task type, as in real
/// programs. The bug showed only in release builds (debug builds share one
/// copy of generic code), so `.ci/run` runs this file with `--release` too.
#[test]
fn a_kept_waker_will_wake_the_next_polls_waker() {
    fn keeps_its_waker() -> impl Future<Output = bool> {
        let mut kept: Option<Waker> = None;
        let mut polls = 0;
        poll_fn(move |cx| {
            polls += 1;
            if polls == 3 {
                return Poll::Ready(kept.as_ref().unwrap().will_wake(cx.waker()));
            }
            if kept.is_none() {
                kept = Some(cx.waker().clone());
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        })
    }
    let results = Executor::simulated().block_on(async {
        let a = spawn(keeps_its_waker());
        let b = spawn(async { keeps_its_waker().await });
        let c = spawn(async {
            yield_now().await;
            keeps_its_waker().await
        });
        [a.await.unwrap(), b.await.unwrap(), c.await.unwrap()]
    });
    assert_eq!(
        results,
        [true, true, true],
        "a task's kept waker will wake it"
    );
}
