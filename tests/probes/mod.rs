//! Instruments for watching the executor from outside, so a test can assert
//! what it did to a future rather than guess from timing:
//!
//! * [`Counter`] and [`DropToken`]: count drops, to check that every task
//!   and every output is dropped exactly once;
//! * [`ProbeState`] and its [`Probe`] future: count polls, keep the latest
//!   waker, complete on demand, and fail if polled after `Ready`;
//! * [`poll_once`] and [`poll_here`]: poll a future by hand, once, with a
//!   waker that does nothing or, inside a task, with the task's own waker;
//! * [`pending_timers`] and [`live_tasks`]: how many timers and tasks an
//!   [`Executor`] holds, read from its `Debug` output (the public API does
//!   not expose them, and a leak shows up there first).
// Each test crate includes this module and uses only part of it; the rest
// would warn as unused in that crate.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use busy_chef::Executor;

/// Counts how many times the values it hands out are dropped. Each
/// [`Counter::token`] must be dropped exactly once; the tests check it.
#[derive(Clone, Default)]
pub struct Counter(Rc<Cell<u32>>);

impl Counter {
    pub fn new() -> Self {
        Counter::default()
    }

    /// A value whose drop adds one to this counter.
    pub fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }

    pub fn get(&self) -> u32 {
        self.0.get()
    }

    pub fn add(&self) {
        self.0.set(self.0.get() + 1);
    }
}

/// Adds one to its [`Counter`] when dropped.
#[derive(Debug)]
pub struct DropToken(Rc<Cell<u32>>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// What a [`Probe`] shares with the test: its polls, its drops, the latest
/// waker it was polled with, and whether it should complete.
#[derive(Clone, Default)]
pub struct ProbeState {
    pub polls: Counter,
    pub drops: Counter,
    pub waker: Rc<RefCell<Option<Waker>>>,
    pub ready: Rc<Cell<bool>>,
    /// Set once the probe returned `Ready`: any later poll is a bug.
    pub completed: Rc<Cell<bool>>,
}

impl ProbeState {
    pub fn new() -> Self {
        ProbeState::default()
    }

    /// A future that stays pending (keeping its latest waker) until
    /// `ready` is set, then completes with `()`.
    pub fn probe(&self) -> Probe {
        Probe {
            state: self.clone(),
            _drop: self.drops.token(),
        }
    }

    /// Wakes the probe's latest waker (by reference); false if it has none.
    pub fn wake(&self) -> bool {
        match &*self.waker.borrow() {
            Some(waker) => {
                waker.wake_by_ref();
                true
            }
            None => false,
        }
    }

    /// Lets the probe complete, and wakes it.
    pub fn finish(&self) {
        self.ready.set(true);
        self.wake();
    }
}

pub struct Probe {
    state: ProbeState,
    _drop: DropToken,
}

impl Future for Probe {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let state = &self.state;
        assert!(
            !state.completed.get(),
            "a future was polled after it returned Ready (embassy \
             waking_after_completion_does_not_poll)"
        );
        state.polls.add();
        *state.waker.borrow_mut() = Some(cx.waker().clone());
        if state.ready.get() {
            state.completed.set(true);
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// Polls `future` once with a waker that does nothing.
pub fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(Waker::noop()))
}

/// Polls `future` once with the current task's waker (registering timers
/// and wakers as a real poll would), from inside an `async` block.
pub async fn poll_here<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(Pin::new(&mut *future).poll(cx))).await
}

/// How many timers `exec`'s wheel holds, read from its `Debug` output
/// (`... Wheel { elapsed_ms: .., timers: N, ...`).
pub fn pending_timers(exec: &Executor) -> usize {
    let text = format!("{exec:?}");
    let wheel = text
        .find("Wheel {")
        .unwrap_or_else(|| panic!("no wheel in the executor's Debug output: {text}"));
    number_after(&text, wheel, "timers: ")
}

/// How many tasks `exec`'s task table holds, read from its `Debug` output
/// (`Executor { clock: .., tasks: N, ...`).
pub fn live_tasks(exec: &Executor) -> usize {
    let text = format!("{exec:?}");
    number_after(&text, 0, "tasks: ")
}

/// The number that follows the first `label` in `text` at or after byte
/// `from`; panics, showing `text`, if there is none.
fn number_after(text: &str, from: usize, label: &str) -> usize {
    let at = text[from..]
        .find(label)
        .unwrap_or_else(|| panic!("no `{label}N` in the executor's Debug output: {text}"));
    let digits: String = text[from + at + label.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("`{label}` is not followed by a number: {text}"))
}
