//! The floor: what the parts an executor is built from cost on this machine,
//! measured in the same run as the runtimes.

use std::alloc::{alloc, dealloc, Layout};
use std::collections::VecDeque;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// One part, and a function that runs it `n` times and returns ns per run.
pub struct Part {
    pub name: &'static str,
    pub measure: fn(usize) -> f64,
}

pub const PARTS: &[Part] = &[
    Part {
        name: "`VecDeque` push_back + pop_front",
        measure: vecdeque,
    },
    Part {
        name: "crossbeam-channel send + try_recv (one thread)",
        measure: channel,
    },
    Part {
        name: "`Arc` clone + drop",
        measure: arc,
    },
    Part {
        name: "poll of a boxed `dyn Future`",
        measure: boxed_poll,
    },
    Part {
        name: "128-byte allocation + free",
        measure: allocation,
    },
    Part {
        name: "`Instant::now()`",
        measure: instant_now,
    },
];

fn per_op(start: Instant, n: usize) -> f64 {
    start.elapsed().as_nanos() as f64 / n as f64
}

fn vecdeque(n: usize) -> f64 {
    let mut queue = VecDeque::with_capacity(16);
    queue.push_back(0u64);
    let start = Instant::now();
    for i in 0..n {
        black_box(&mut queue).push_back(i as u64);
        black_box(queue.pop_front());
    }
    per_op(start, n)
}

fn channel(n: usize) -> f64 {
    let (sender, receiver) = crossbeam_channel::unbounded();
    let start = Instant::now();
    for i in 0..n {
        black_box(&sender).send(i).unwrap();
        black_box(receiver.try_recv().ok());
    }
    per_op(start, n)
}

fn arc(n: usize) -> f64 {
    let arc = Arc::new(0u64);
    let start = Instant::now();
    for _ in 0..n {
        let clone = black_box(&arc).clone();
        drop(black_box(clone));
    }
    per_op(start, n)
}

/// A future that is never ready and does a trivial step per poll.
struct Counter(u64);

impl Future for Counter {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        self.0 += 1;
        Poll::Pending
    }
}

fn boxed_poll(n: usize) -> f64 {
    let mut future: Pin<Box<dyn Future<Output = ()>>> = Box::pin(Counter(0));
    let mut cx = Context::from_waker(Waker::noop());
    let start = Instant::now();
    for _ in 0..n {
        let _ = black_box(&mut future).as_mut().poll(&mut cx);
    }
    per_op(start, n)
}

fn allocation(n: usize) -> f64 {
    let layout = Layout::from_size_align(128, 16).unwrap();
    let start = Instant::now();
    for _ in 0..n {
        // SAFETY: the layout has a non-zero size; the pointer is freed with
        // the same layout right away.
        unsafe {
            let pointer = black_box(alloc(layout));
            assert!(!pointer.is_null());
            dealloc(pointer, layout);
        }
    }
    per_op(start, n)
}

fn instant_now(n: usize) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        black_box(Instant::now());
    }
    per_op(start, n)
}
