//! The timers: register, cancel and fire them over the wheel, on one clock.
//!
//! Book chapters: *`sleep`, a leaf future* (`book/src/sleep.md`) and *The
//! timer wheel* (`book/src/timer-wheel.md`).
//!
//! [`Timers`] puts the hierarchical wheel (`collections/wheel.rs`) together
//! with the executor's [`Clock`]. There is one notion of "now": the clock's
//! reading, which `sleep` adds its duration to and `Instant::now` returns.
//! The wheel lags behind it by at most one turn of the loop: it has fired
//! every timer up to the moment of the last timer step, and a `Sleep` is
//! done exactly when its timer has fired (or its deadline had passed for the
//! wheel already when it asked for one). So a `Sleep` never reads the clock
//! itself, and never completes early.
//!
//! The timer driver is an *event source*, like another thread with a waker:
//! [`Timers::fire_due`] wakes the task of each timer that is due, and the
//! task is polled at the next turn. The poll loop itself never wakes anyone.

use std::cell::RefCell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::task::Waker;

use crate::base::clock::{Clock, NEVER};
use crate::base::instant::Instant;
use crate::collections::wheel::{InsertError, Tick, TimerKey, Wheel};
use crate::diagnostics::hooks::Hooks;

/// One executor's timers. See the module docs.
pub(crate) struct Timers {
    wheel: RefCell<Wheel>,
    clock: Rc<Clock>,
    /// Scratch space for the wakers of fired timers, reused every turn.
    fired: RefCell<Vec<Waker>>,
}

/// What [`Timers::register`] did.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub(crate) enum Registration {
    /// The timer waits in the wheel under this key.
    Waiting(TimerKey),
    /// The deadline has passed for the wheel already: it is due now.
    Due,
    /// The deadline is too far away to ever come: no timer is needed.
    Never,
}

impl Timers {
    pub(crate) fn new(clock: Rc<Clock>) -> Self {
        Timers {
            wheel: RefCell::new(Wheel::new(0)),
            clock,
            fired: RefCell::new(Vec::new()),
        }
    }

    /// Now, on this executor's clock.
    pub(crate) fn now(&self) -> Instant {
        self.clock.now()
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    // ANCHOR: register
    /// A timer that wakes `waker` at `deadline`.
    pub(crate) fn register(&self, hooks: &Hooks, deadline: Instant, waker: &Waker) -> Registration {
        let tick = self.clock.tick_at_or_after(deadline);
        if tick == NEVER {
            return Registration::Never;
        }
        let inserted = self.wheel.borrow_mut().insert(tick, waker.clone());
        match inserted {
            Ok(key) => {
                hooks.timer_registered(key, deadline, &self.wheel);
                Registration::Waiting(key)
            }
            Err(InsertError::AlreadyDue) => Registration::Due,
        }
    }

    /// Points a waiting timer at `waker` (the latest poll's). False if the
    /// timer is gone: it fired (or was cancelled).
    pub(crate) fn update(&self, key: TimerKey, waker: &Waker) -> bool {
        self.wheel.borrow_mut().set_waker(key, waker)
    }

    /// Takes a timer out of the wheel before it fires. Does nothing if it is
    /// gone already.
    pub(crate) fn cancel(&self, hooks: &Hooks, key: TimerKey) {
        // `try_`: if the wheel is busy, we are being dropped by the wheel's
        // own teardown, and the timer is going away anyway.
        let waker = match self.wheel.try_borrow_mut() {
            Ok(mut wheel) => wheel.cancel(key),
            Err(_) => None,
        };
        if waker.is_some() {
            hooks.timer_cancelled(key);
        }
        drop(waker); // outside the borrow: dropping it may free a task
    }
    // ANCHOR_END: register

    // ANCHOR: fire_due
    /// ③ of the loop: reads the clock once, and wakes every timer due by
    /// then. Every due waker is woken even if one of them panics, so that no
    /// other task loses its wake; then the first panic goes on to the caller
    /// (scenario: `panicking_timer_waker_propagates_but_loses_no_other_wake`
    /// in `tests/faults.rs`).
    #[inline]
    pub(crate) fn fire_due(&self, hooks: &Hooks) {
        if !self.wheel.borrow().is_empty() {
            self.fire_due_timers(hooks);
        }
    }

    fn fire_due_timers(&self, hooks: &Hooks) {
        let now = self.clock.tick_at_or_before(self.clock.now());
        let mut fired = self.fired.take();
        self.wheel
            .borrow_mut()
            .advance(now, &mut fired, hooks.wheel_moves().as_deref_mut());
        hooks.timers_fired(now, fired.len());
        // Wake with no borrow held: a waker is arbitrary code.
        let mut first_panic = None;
        for waker in fired.drain(..) {
            hooks.timer_fires();
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| waker.wake())) {
                first_panic.get_or_insert(payload);
            }
        }
        self.fired.replace(fired);
        if let Some(payload) = first_panic {
            resume_unwind(payload);
        }
    }
    // ANCHOR_END: fire_due

    /// When the next timer is due, if any is waiting.
    pub(crate) fn next_deadline(&self) -> Option<Tick> {
        self.wheel.borrow().next_deadline()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.wheel.borrow().is_empty()
    }

    /// Drops every timer (the executor is shutting down). Their wakers are
    /// dropped with no borrow held; a panic from one is caught and returned
    /// once all are dropped.
    pub(crate) fn clear(&self) -> Option<crate::base::panic::PanicPayload> {
        let wheel = std::mem::replace(&mut *self.wheel.borrow_mut(), Wheel::new(0));
        catch_unwind(AssertUnwindSafe(|| drop(wheel))).err()
    }
}

impl std::fmt::Debug for Timers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.wheel.try_borrow() {
            Ok(wheel) => std::fmt::Debug::fmt(&*wheel, f),
            Err(_) => f.write_str("<wheel in use>"),
        }
    }
}
