//! The `JoinHandle` contract: await, detach, abort, panic.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use busy_chef::time::{sleep, Instant};
use busy_chef::{spawn, yield_now, Executor};

#[test]
fn awaiting_a_handle_gives_the_output() {
    let exec = Executor::simulated();
    assert_eq!(
        exec.block_on(async { spawn(async { 7 }).await.unwrap() }),
        7
    );
}

#[test]
fn dropping_the_handle_detaches_the_task_which_keeps_running() {
    let exec = Executor::simulated();
    let done = Rc::new(Cell::new(false));
    let d = done.clone();
    exec.block_on(async {
        drop(spawn(async move {
            sleep(Duration::from_secs(1)).await;
            d.set(true);
        }));
        sleep(Duration::from_secs(2)).await;
    });
    assert!(done.get());
}

#[test]
fn a_detached_tasks_output_is_dropped_when_it_finishes() {
    struct Noisy(Rc<Cell<bool>>);
    impl Drop for Noisy {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let exec = Executor::simulated();
    let dropped = Rc::new(Cell::new(false));
    let d = dropped.clone();
    drop(exec.spawn(async move { Noisy(d) }));
    exec.block_on(yield_now());
    assert!(dropped.get());
}

#[test]
fn abort_before_first_poll() {
    let exec = Executor::simulated();
    let polled = Rc::new(Cell::new(false));
    let p = polled.clone();
    let handle = exec.spawn(async move { p.set(true) });
    handle.abort();
    let err = exec.block_on(handle).unwrap_err();
    assert!(err.is_cancelled() && !err.is_panic());
    assert!(!polled.get(), "an aborted task is never polled");
    assert!(err.to_string().ends_with("was cancelled"));
}

#[test]
fn abort_while_waiting_drops_the_future_at_the_next_turn() {
    let exec = Executor::simulated();
    exec.block_on(async {
        let start = Instant::now();
        let handle = spawn(sleep(Duration::from_secs(60)));
        yield_now().await;
        assert!(!handle.is_finished());
        handle.abort();
        let err = handle.await.unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "did not wait for the sleep"
        );
    });
}

#[test]
fn abort_after_completion_keeps_the_output() {
    let exec = Executor::simulated();
    exec.block_on(async {
        let handle = spawn(async { 3 });
        yield_now().await;
        assert!(handle.is_finished());
        handle.abort();
        assert_eq!(handle.await.unwrap(), 3);
    });
}

#[test]
fn a_panicking_task_is_caught_and_the_others_carry_on() {
    let exec = Executor::simulated();
    let (err, other) = exec.block_on(async {
        let bad = spawn(async {
            yield_now().await;
            panic!("burnt the toast");
        });
        let good = spawn(async {
            sleep(Duration::from_millis(10)).await;
            "eggs"
        });
        (bad.await.unwrap_err(), good.await.unwrap())
    });
    assert_eq!(other, "eggs");
    assert!(err.is_panic() && !err.is_cancelled());
    assert!(
        err.to_string().contains("panicked: burnt the toast"),
        "{err}"
    );
    let payload = err.into_panic();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"burnt the toast"));
}

#[test]
fn is_finished_follows_the_task() {
    let exec = Executor::simulated();
    let handle = exec.spawn(async { sleep(Duration::from_millis(5)).await });
    assert!(!handle.is_finished());
    exec.block_on(async { sleep(Duration::from_millis(10)).await });
    assert!(handle.is_finished());
}

#[test]
fn executor_drop_cancels_unfinished_tasks_and_tells_their_awaiters() {
    let outer = Executor::simulated();
    let inner = Executor::simulated();
    let handle = inner.spawn(async { sleep(Duration::from_secs(60)).await });
    inner.block_on(yield_now());
    drop(inner);
    assert!(handle.is_finished());
    let err = outer.block_on(handle).unwrap_err();
    assert!(err.is_cancelled());
}
