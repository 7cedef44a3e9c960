//! Futures too big for a small stack: a 256 KiB future and a 128 KiB output,
//! spawned on a thread with a 2 MiB stack (the default for test threads), in
//! the unoptimized build that `cargo test` makes, where every call copies
//! its by-value arguments on the stack.
//!
//! Regression tests: both aborted the process with a stack overflow before
//! large futures were moved to the heap ahead of `spawn`, and large outputs
//! kept there.

use std::hint::black_box;
use std::thread;

use busy_chef::{spawn, Executor};

const STACK: usize = 2 << 20;

/// Runs `f` on a fresh thread with a 2 MiB stack and returns its result.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    thread::Builder::new()
        .stack_size(STACK)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn a_256_kib_future_is_spawned_and_run_on_a_2_mib_stack() {
    let sum = on_small_stack(|| {
        Executor::simulated().block_on(async {
            let big = async {
                let buffer = black_box([1u8; 256 << 10]);
                busy_chef::yield_now().await; // the buffer lives across an .await
                buffer.iter().map(|&b| u64::from(b)).sum::<u64>()
            };
            assert!(std::mem::size_of_val(&big) >= 256 << 10);
            spawn(big).await.unwrap()
        })
    });
    assert_eq!(sum, 256 << 10);
}

#[test]
fn a_128_kib_output_is_returned_on_a_2_mib_stack() {
    let (first, last, len) = on_small_stack(|| {
        Executor::simulated().block_on(async {
            let output = spawn(async {
                busy_chef::yield_now().await;
                black_box([7u8; 128 << 10])
            })
            .await
            .unwrap();
            (output[0], output[output.len() - 1], output.len())
        })
    });
    assert_eq!((first, last, len), (7, 7, 128 << 10));
}
