//! `Instant`: a moment on an executor's clock.
//!
//! Book chapter: *`sleep`, a leaf future* (`book/src/sleep.md`).
//!
//! The value type only: arithmetic and conversions. Reading the clock of the
//! executor that runs on this thread, [`Instant::now`], needs to find that
//! executor, so it lives with the other timer futures in `time/now.rs`.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::sync::OnceLock;
use std::time::Duration;

/// A moment in time, measured on the clock of the executor running on this
/// thread.
///
/// [`Instant::now`] inside a future run by an executor reads *that executor's*
/// clock: the real one for [`Executor::new`](crate::Executor::new), the
/// simulated one for [`Executor::simulated`](crate::Executor::simulated)
/// (which starts at zero). Outside any executor it reads the real clock.
/// Instants from a simulated clock and from the real clock do not mean the
/// same thing; compare instants from one clock only.
///
/// Arithmetic saturates instead of panicking: `later - earlier` is zero if
/// `earlier` is in fact later, and adding `Duration::MAX` gives a moment that
/// never comes.
///
/// ```
/// use std::time::Duration;
/// use busy_chef::time::{sleep, Instant};
///
/// busy_chef::Executor::simulated().block_on(async {
///     let start = Instant::now();
///     sleep(Duration::from_secs(2)).await;
///     let now = Instant::now();
///     assert!(now > start);
///     assert_eq!(now - start, Duration::from_secs(2));
///     assert_eq!(start - now, Duration::ZERO, "saturates, like std's Instant");
///     assert_eq!(start + Duration::from_secs(2), now);
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(Duration);

/// Where the real clock's instants are counted from: the first time this
/// process read the clock.
fn real_origin() -> std::time::Instant {
    static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();
    *ORIGIN.get_or_init(std::time::Instant::now)
}

impl Instant {
    /// The start of a simulated clock.
    pub(crate) const ZERO: Instant = Instant(Duration::ZERO);
    /// Later than any deadline that can come.
    pub(crate) const FAR_FUTURE: Instant = Instant(Duration::MAX);

    pub(crate) fn real_now() -> Instant {
        Instant(real_origin().elapsed())
    }

    /// This instant as a `std::time::Instant` (meaningful for real-clock
    /// instants only); `None` if it cannot be represented.
    pub(crate) fn to_std(self) -> Option<std::time::Instant> {
        real_origin().checked_add(self.0)
    }

    /// Time from `earlier` to `self`; zero if `earlier` is later.
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::time::{sleep, Instant};
    ///
    /// busy_chef::Executor::simulated().block_on(async {
    ///     let start = Instant::now();
    ///     sleep(Duration::from_secs(3)).await;
    ///     let now = Instant::now();
    ///     assert_eq!(now.saturating_duration_since(start), Duration::from_secs(3));
    ///     assert_eq!(start.saturating_duration_since(now), Duration::ZERO);
    /// });
    /// ```
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_sub(earlier.0)
    }

    /// Time from `earlier` to `self`; zero if `earlier` is later (the same as
    /// [`saturating_duration_since`](Instant::saturating_duration_since): it
    /// never panics).
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::time::{sleep, Instant};
    ///
    /// busy_chef::Executor::simulated().block_on(async {
    ///     let start = Instant::now();
    ///     sleep(Duration::from_millis(1500)).await;
    ///     let now = Instant::now();
    ///     assert_eq!(now.duration_since(start), Duration::from_millis(1500));
    ///     assert_eq!(start.duration_since(now), Duration::ZERO);
    /// });
    /// ```
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }

    /// `self + duration`, or `None` on overflow.
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::time::Instant;
    ///
    /// busy_chef::Executor::simulated().block_on(async {
    ///     let now = Instant::now();
    ///     let soon = now.checked_add(Duration::from_secs(1)).unwrap();
    ///     assert_eq!(soon - now, Duration::from_secs(1));
    ///     assert_eq!(soon.checked_add(Duration::MAX), None);
    /// });
    /// ```
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_add(duration).map(Instant)
    }

    /// `self - duration`, or `None` if that would be before the clock's origin.
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::time::{sleep, Instant};
    ///
    /// busy_chef::Executor::simulated().block_on(async {
    ///     let origin = Instant::now(); // a simulated clock starts at zero
    ///     assert_eq!(origin.checked_sub(Duration::from_secs(1)), None);
    ///     sleep(Duration::from_secs(5)).await;
    ///     let earlier = Instant::now().checked_sub(Duration::from_secs(5));
    ///     assert_eq!(earlier, Some(origin));
    /// });
    /// ```
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_sub(duration).map(Instant)
    }

    /// `self + duration`, or a moment that never comes on overflow.
    pub(crate) fn saturating_add(&self, duration: Duration) -> Instant {
        self.checked_add(duration).unwrap_or(Instant::FAR_FUTURE)
    }

    /// Time since the clock's origin (zero for a simulated clock, the
    /// process's first clock reading for the real one).
    ///
    /// ```
    /// use std::time::Duration;
    /// use busy_chef::time::{sleep, Instant};
    ///
    /// busy_chef::Executor::simulated().block_on(async {
    ///     assert_eq!(Instant::now().since_origin(), Duration::ZERO);
    ///     sleep(Duration::from_secs(90)).await;
    ///     assert_eq!(Instant::now().since_origin(), Duration::from_secs(90));
    /// });
    /// ```
    pub fn since_origin(&self) -> Duration {
        self.0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    /// Saturates: adding `Duration::MAX` gives a moment that never comes.
    fn add(self, duration: Duration) -> Instant {
        self.saturating_add(duration)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, duration: Duration) {
        *self = *self + duration;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    /// Saturates at the clock's origin.
    fn sub(self, duration: Duration) -> Instant {
        Instant(self.0.saturating_sub(duration))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Saturates at zero, like `std::time::Instant`.
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Instant::FAR_FUTURE {
            f.write_str("Instant(never)")
        } else {
            write!(f, "Instant({:?})", self.0)
        }
    }
}
