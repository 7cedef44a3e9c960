//! The hot path allocates nothing beyond one allocation per spawned task:
//! polling, waking, rescheduling, and registering and firing timers reuse
//! memory the executor already has (after it has grown to the working size).
//!
//! Counted with a global allocator wrapper, per thread: only allocations
//! made on the test's own thread count (the test harness's threads allocate
//! at times of their own choosing).

mod counting_allocator;

use std::time::Duration;

use busy_chef::time::sleep;
use busy_chef::{spawn, yield_now, Executor};
use counting_allocator::{allocations_on_this_thread, CountingAllocator};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn allocations_during<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = allocations_on_this_thread();
    let result = f();
    (allocations_on_this_thread() - before, result)
}

/// 100 tasks that each yield `yields` times and sleep `sleeps` times.
async fn workload(yields: u32, sleeps: u64) {
    let mut handles = Vec::with_capacity(100);
    for i in 0..100u64 {
        handles.push(spawn(async move {
            for _ in 0..yields {
                yield_now().await;
            }
            for s in 0..sleeps {
                sleep(Duration::from_millis(1 + (i + s) % 7)).await;
            }
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }
}

#[test]
fn polls_wakes_and_timers_allocate_nothing_beyond_one_allocation_per_task() {
    let exec = Executor::simulated();
    // Warm up: let the task table, the queues and the wheel grow to size.
    exec.block_on(workload(10, 10));

    // The same shape of work again, ten times the polls, wakes and timers.
    let (small, ()) = allocations_during(|| exec.block_on(workload(10, 10)));
    let (large, ()) = allocations_during(|| exec.block_on(workload(100, 100)));
    // The block_on itself (its main waker), the Vec of handles, and one
    // allocation per task are the same in both runs: the extra 90 yields and
    // 90 sleeps per task (18,000 polls, wakes, timer inserts and firings)
    // must add nothing.
    assert_eq!(
        large, small,
        "the hot path allocated: {small} allocations for 10 yields + 10 sleeps per task, \
         {large} for 100 + 100"
    );
    // And the baseline is about one allocation per task (100 tasks), plus a
    // handful for block_on and the handles' Vec.
    assert!(
        (100..=100 + 8).contains(&small),
        "{small} allocations for 100 tasks"
    );
}
