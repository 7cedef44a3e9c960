//! [`Rng`]: a tiny deterministic random generator (xorshift64) for the
//! tests that pick their steps, deadlines or targets at random.
//!
//! Deterministic so that a failing run can be replayed from its seed, and a
//! dozen lines so that the tests need no dependency for it. It is good
//! enough to pick test steps, not for anything that needs real randomness.
// Each test crate includes this module and uses only part of it; the rest
// would warn as unused in that crate.
#![allow(dead_code)]

/// xorshift64 (Marsaglia): the state is never 0, and each number is the
/// state after three shift-xors.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator that always gives the same numbers for the same `seed`.
    /// Seed 0 (which would give zeros forever) is mapped to 1.
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    /// The next number, anywhere in `1..=u64::MAX`.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// An index into a slice of `len` elements.
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// True with a chance of `p` in 100.
    pub fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }
}
