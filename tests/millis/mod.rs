//! `ms(n)`: a [`Duration`] of `n` milliseconds.
//!
//! The timer and cancellation scenarios are written in simulated
//! milliseconds (`sleep(ms(20))`, `timeout(ms(5), ..)`); this keeps those
//! lines short enough to read as the scenario they describe.

use std::time::Duration;

/// `n` milliseconds.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}
