//! A parked executor burns (almost) no CPU: it blocks in `recv_deadline` on
//! the waker queue's channel instead of spinning. In a test binary of its own,
//! and measured per thread, so other tests' CPU does not count.
//!
//! Real clock, generous bounds: 300 ms of waiting must cost well under 30 ms
//! of CPU (a spinning loop would cost all 300 ms).

use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use busy_chef::time::sleep;
use busy_chef::Executor;

/// CPU time used so far by the calling thread (Linux: /proc/thread-self/schedstat).
fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

fn assert_parks_cheaply(what: &str, run: impl FnOnce()) {
    let Some(before) = thread_cpu_time() else {
        eprintln!(
            "note: /proc/thread-self/schedstat unavailable; not measuring CPU on this system"
        );
        return;
    };
    let wall = std::time::Instant::now();
    run();
    let cpu = thread_cpu_time().unwrap() - before;
    let wall = wall.elapsed();
    assert!(
        wall >= Duration::from_millis(300),
        "{what}: returned early ({wall:?})"
    );
    assert!(
        cpu < Duration::from_millis(30),
        "{what}: used {cpu:?} of CPU while waiting {wall:?}: the executor is spinning instead of parking"
    );
}

#[test]
fn parked_on_a_timer_uses_almost_no_cpu() {
    assert_parks_cheaply("sleep(300 ms)", || {
        Executor::new().block_on(async { sleep(Duration::from_millis(300)).await });
    });
}

#[test]
fn parked_with_no_timer_waiting_for_another_thread_uses_almost_no_cpu() {
    assert_parks_cheaply("waiting for another thread's wake", || {
        let slot: Arc<Mutex<(bool, Option<Waker>)>> = Arc::new(Mutex::new((false, None)));
        let remote = slot.clone();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            let mut state = remote.lock().unwrap();
            state.0 = true;
            if let Some(waker) = state.1.take() {
                waker.wake();
            }
        });
        Executor::new().block_on(poll_fn(|cx| {
            let mut state = slot.lock().unwrap();
            if state.0 {
                Poll::Ready(())
            } else {
                state.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }));
        thread.join().unwrap();
    });
}
