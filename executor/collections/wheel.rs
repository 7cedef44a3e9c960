//! The hierarchical timer wheel: where every `sleep` waits for its deadline.
//!
//! Book chapter: *The timer wheel* (`book/src/timer-wheel.md`).
//!
//! A timer is a deadline (a [`Tick`], one millisecond) and the [`Waker`] to
//! wake when it comes. The wheel must do three things fast: add a timer, cancel
//! one (a `Sleep` dropped early, as in every `timeout` that succeeds), and find
//! and fire the ones that are due. A sorted heap (asyncio's choice) makes add
//! and cancel O(log n); a wheel makes them O(1).
//!
//! ## Levels and slots
//!
//! Six *levels* of 64 *slots* each. A slot of level `L` covers `64^L` ticks,
//! so each level covers 64 times more time than the one below, at 64 times
//! coarser granularity (after Varghese & Lauck, "Hashed and hierarchical timing
//! wheels", SOSP 1987; the layout is the one tokio uses):
//!
//! | level | one slot covers | the whole level covers |
//! |------:|----------------:|-----------------------:|
//! | 0     | 1 ms            | 64 ms                  |
//! | 1     | 64 ms           | ~4 s                   |
//! | 2     | ~4 s            | ~4.4 min               |
//! | 3     | ~4.4 min        | ~4.7 h                 |
//! | 4     | ~4.7 h          | ~12.4 days             |
//! | 5     | ~12.4 days      | ~2.2 years (2^36 ms)   |
//!
//! A timer goes to the level of the highest bit in which its deadline differs
//! from `elapsed` (the wheel's "now"), in groups of 6 bits: a deadline 3 ms
//! away usually lands in level 0, one 10 s away in level 2. Its slot is those
//! 6 bits of the deadline. Each slot is a doubly linked list of timers (the
//! links are slot numbers in the slab that holds every timer, `slab.rs`), so
//! adding appends at the tail and cancelling unlinks, both O(1), and timers
//! in a slot stay in the order they were added.
//!
//! ## Finding the next deadline without scanning
//!
//! Each level keeps a 64-bit `occupied` bitmap, bit `s` set when slot `s`
//! holds a timer. The next deadline is in the lowest level with a bit set, in
//! its first set slot at or after `elapsed`'s slot: one `trailing_zeros`.
//!
//! ## Cascading
//!
//! A slot of level 1 or higher holds timers with *different* deadlines. When
//! time reaches the start of such a slot, the wheel empties it and puts each
//! timer back, now relative to the new `elapsed`: it lands in a lower level,
//! with a finer slot. A timer moves down at most five times in its life.
//! The slot is taken out *before* its timers are put back, so a timer that
//! lands in the same level can never be processed twice in a row.
//!
//! ## Invariants
//!
//! 1. `elapsed` never goes backwards.
//! 2. Every timer in the wheel has `deadline >= elapsed` (earlier ones fire).
//! 3. A timer in level `L` has a deadline that agrees with `elapsed` in every
//!    bit above level `L` and differs within level `L`'s six bits; for `L > 0`
//!    its slot is therefore strictly after `elapsed`'s slot in that level.
//!    Consequence: every timer in level `L` is due before every timer in level
//!    `L + 1`, and no slot before `elapsed`'s is ever occupied (no wrap-around).
//! 4. Timers with equal deadlines sit in the same slot, in creation order, so
//!    they fire in creation order.
//! 5. Deadlines that differ from `elapsed` at bit 36 or above (more than
//!    ~2.2 years ahead) wait in a separate sorted `overflow` map, and move into
//!    the wheel when `elapsed` reaches their 2^36-tick epoch. A far deadline is
//!    never squeezed into the top level, where it could hide nearer timers
//!    (tokio#8334 was that bug).

use std::collections::BTreeMap;
use std::fmt;
use std::task::Waker;

use super::slab::{Key, Keyed, Slab};

/// One millisecond of the executor's clock, counted from its origin.
pub type Tick = u64;

/// Number of levels.
pub const LEVELS: usize = 6;
const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
/// Ticks the six levels can tell apart: 64^6 = 2^36 (about 2.2 years).
pub const MAX_SPAN: Tick = 1 << (SLOT_BITS * LEVELS as u32);

/// Names a timer in the wheel: a key of the slab that holds the timers.
/// Holding a key does not keep the timer alive; once the timer has fired or
/// been cancelled the key is *stale* (see `slab.rs`) and finds nothing.
pub type TimerKey = Key;

/// Why a timer was not added.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum InsertError {
    /// The deadline is at or before `elapsed`: it is due already; the caller
    /// should treat it as fired.
    AlreadyDue,
}

/// Where the next deadline is, from [`Wheel::next_expiration`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Expiration {
    /// At the start of `slot` of `level`, which begins at `tick`.
    Slot {
        /// The level.
        level: usize,
        /// The slot in that level.
        slot: usize,
        /// When that slot begins.
        tick: Tick,
    },
    /// The earliest far-future timer, waiting outside the wheel.
    Overflow {
        /// Its deadline.
        tick: Tick,
    },
}

impl Expiration {
    /// When this expiration happens.
    pub fn tick(&self) -> Tick {
        match *self {
            Expiration::Slot { tick, .. } | Expiration::Overflow { tick } => tick,
        }
    }
}

/// Where a timer waits: a slot of a level, or the overflow map.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[allow(missing_docs)] // `level` 0 to 5, `slot` 0 to 63
pub enum Place {
    /// In `slot` of `level`.
    Wheel { level: u8, slot: u8 },
    /// In the overflow map (more than ~2.2 years ahead).
    Overflow,
}

/// What [`Wheel::advance`] did with one timer, for a caller that asks (a
/// trace): the timer left `from`, and went `to` a lower place (a cascade),
/// or, `to` being `None`, fired.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Moved {
    /// The timer.
    pub key: TimerKey,
    /// Where it was.
    pub from: Place,
    /// Where it went; `None`: it fired.
    pub to: Option<Place>,
}

/// Where [`Wheel::advance`] tells what it did, if the caller asks.
pub type Moves<'a> = Option<&'a mut Vec<Moved>>;

struct Entry {
    key: Key,
    deadline: Tick,
    /// Creation order, to break ties between equal deadlines in `overflow`.
    seq: u64,
    place: Place,
    /// The timers before and after this one in its slot: slot numbers in
    /// the slab, or `NIL`. (Links stay within live timers, so they need no
    /// generation: the timer's own key is in `key`.)
    prev: u32,
    next: u32,
    waker: Waker,
}

/// "No timer": the end of a slot's list.
const NIL: u32 = u32::MAX;

impl Keyed for Entry {
    fn key(&self) -> Key {
        self.key
    }
}

/// A slot's timers: a doubly linked list through the entries.
#[derive(Clone, Copy)]
struct List {
    head: u32,
    tail: u32,
}

const EMPTY: List = List {
    head: NIL,
    tail: NIL,
};

struct Level {
    /// Bit `s` is set exactly when `slots[s]` is not empty.
    occupied: u64,
    slots: [List; SLOTS],
}

/// The timer wheel. See the module documentation.
pub struct Wheel {
    elapsed: Tick,
    levels: [Level; LEVELS],
    overflow: BTreeMap<(Tick, u64), Key>,
    timers: Slab<Entry>,
    next_seq: u64,
}

impl Wheel {
    /// An empty wheel whose time starts at `elapsed` (tests start it just
    /// below 2^30 or 2^36 to cross level boundaries quickly).
    pub fn new(elapsed: Tick) -> Self {
        Wheel {
            elapsed,
            levels: std::array::from_fn(|_| Level {
                occupied: 0,
                slots: [EMPTY; SLOTS],
            }),
            overflow: BTreeMap::new(),
            timers: Slab::new(),
            next_seq: 0,
        }
    }

    /// The wheel's current time: every timer at or before it has fired.
    pub fn elapsed(&self) -> Tick {
        self.elapsed
    }

    /// Number of timers waiting.
    pub fn len(&self) -> usize {
        self.timers.len()
    }

    /// No timer is waiting.
    pub fn is_empty(&self) -> bool {
        self.timers.is_empty()
    }

    /// Adds a timer that wakes `waker` at `deadline`. O(1) (O(log n) for the
    /// rare deadline more than 2.2 years ahead).
    pub fn insert(&mut self, deadline: Tick, waker: Waker) -> Result<TimerKey, InsertError> {
        if deadline <= self.elapsed {
            return Err(InsertError::AlreadyDue);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = self.timers.next_key();
        let entry = Entry {
            key,
            deadline,
            seq,
            place: Place::Overflow, // set for real by `place`
            prev: NIL,
            next: NIL,
            waker,
        };
        self.timers.insert(key, entry);
        self.place(key);
        Ok(key)
    }

    /// Replaces the waker of a waiting timer (a `Sleep` polled by a new task
    /// must wake that task). Returns `false` if the key is stale.
    pub fn set_waker(&mut self, key: TimerKey, waker: &Waker) -> bool {
        match self.timers.get_mut(key) {
            Some(entry) => {
                entry.waker.clone_from(waker);
                true
            }
            None => false,
        }
    }

    /// Where a waiting timer is; `None` if the key is stale.
    pub fn place_of(&self, key: TimerKey) -> Option<Place> {
        self.timers.get(key).map(|entry| entry.place)
    }

    /// Removes a waiting timer, O(1). Returns its waker (so the caller can
    /// drop it outside any borrow), or `None` if the key is stale.
    pub fn cancel(&mut self, key: TimerKey) -> Option<Waker> {
        self.timers.get(key)?;
        self.unplace(key);
        self.timers.remove(key).map(|entry| entry.waker)
    }

    /// The earliest deadline, if any timer is waiting. O(levels).
    pub fn next_deadline(&self) -> Option<Tick> {
        self.next_expiration().map(|e| e.tick())
    }

    // ANCHOR: next_expiration
    /// Where and when the next timer (or cascade) is due.
    pub fn next_expiration(&self) -> Option<Expiration> {
        for (level, lvl) in self.levels.iter().enumerate() {
            if lvl.occupied == 0 {
                continue;
            }
            let shift = SLOT_BITS * level as u32;
            let now_slot = (self.elapsed >> shift) as usize % SLOTS;
            // Invariant 3: no occupied slot lies before `elapsed`'s slot.
            let ahead = lvl.occupied & (u64::MAX << now_slot);
            debug_assert_eq!(
                ahead, lvl.occupied,
                "level {level} has a slot before elapsed={} (occupied={:#066b})",
                self.elapsed, lvl.occupied
            );
            let slot = ahead.trailing_zeros() as usize;
            let level_start = self.elapsed & !((1u64 << (shift + SLOT_BITS)) - 1);
            let tick = level_start + ((slot as u64) << shift);
            return Some(Expiration::Slot { level, slot, tick });
        }
        self.overflow
            .keys()
            .next()
            .map(|&(tick, _)| Expiration::Overflow { tick })
    }
    // ANCHOR_END: next_expiration

    /// Moves time forward to `now`, pushing the waker of every timer whose
    /// deadline is at or before `now` onto `fired`, in deadline order (and in
    /// creation order for equal deadlines). The caller wakes them afterwards,
    /// when it no longer borrows the wheel. With `moves`, it is also told
    /// where each timer went, in the same order.
    pub fn advance(&mut self, now: Tick, fired: &mut Vec<Waker>, mut moves: Moves) {
        while let Some(expiration) = self.next_expiration() {
            if expiration.tick() > now {
                break;
            }
            self.elapsed = self.elapsed.max(expiration.tick());
            match expiration {
                Expiration::Slot { level, slot, .. } => {
                    self.process_slot(level, slot, fired, &mut moves)
                }
                Expiration::Overflow { .. } => self.refill_from_overflow(fired, &mut moves),
            }
        }
        if now > self.elapsed {
            self.elapsed = now;
            self.refill_from_overflow(fired, &mut moves);
        }
    }

    // ANCHOR: process_slot
    /// Empties one slot: fires what is due, puts the rest back lower down.
    fn process_slot(
        &mut self,
        level: usize,
        slot: usize,
        fired: &mut Vec<Waker>,
        moves: &mut Moves,
    ) {
        // Take the whole list first (see "Cascading" above).
        let list = std::mem::replace(&mut self.levels[level].slots[slot], EMPTY);
        self.levels[level].occupied &= !(1u64 << slot);
        let mut next = list.head;
        while next != NIL {
            let entry = self.entry(next);
            let key = entry.key;
            next = std::mem::replace(&mut entry.next, NIL);
            entry.prev = NIL;
            let from = entry.place;
            if entry.deadline <= self.elapsed {
                fired.extend(self.timers.remove(key).map(|entry| entry.waker));
            } else {
                self.place(key);
            }
            self.note(moves, key, from);
        }
    }
    // ANCHOR_END: process_slot

    /// Moves far-future timers whose epoch has come into the wheel.
    fn refill_from_overflow(&mut self, fired: &mut Vec<Waker>, moves: &mut Moves) {
        while let Some((&(deadline, seq), &key)) = self.overflow.iter().next() {
            if (deadline ^ self.elapsed) >= MAX_SPAN {
                break;
            }
            self.overflow.remove(&(deadline, seq));
            if deadline <= self.elapsed {
                fired.extend(self.timers.remove(key).map(|entry| entry.waker));
            } else {
                self.place(key);
            }
            self.note(moves, key, Place::Overflow);
        }
    }

    /// Tells `moves`, if given, where the timer `key` went from `from`.
    fn note(&self, moves: &mut Moves, key: Key, from: Place) {
        if let Some(moves) = moves {
            moves.push(Moved {
                key,
                from,
                to: self.place_of(key),
            });
        }
    }

    /// Puts a live, unlinked timer where its deadline says (invariants 3, 5).
    fn place(&mut self, key: Key) {
        let entry = &self.timers.get(key).expect("placing a live timer");
        let (deadline, seq) = (entry.deadline, entry.seq);
        let place = match level_for(self.elapsed, deadline) {
            None => {
                self.overflow.insert((deadline, seq), key);
                Place::Overflow
            }
            Some(level) => {
                let slot = slot_for(deadline, level);
                self.push_back(level, slot, key.slot());
                Place::Wheel {
                    level: level as u8,
                    slot: slot as u8,
                }
            }
        };
        self.entry(key.slot()).place = place;
    }

    /// Takes a live timer out of wherever it is (list or overflow map).
    fn unplace(&mut self, key: Key) {
        let entry = self.entry(key.slot());
        match entry.place {
            Place::Wheel { level, slot } => self.unlink(level as usize, slot as usize, key.slot()),
            Place::Overflow => {
                let at = (entry.deadline, entry.seq);
                self.overflow.remove(&at);
            }
        }
    }

    /// The live timer in slab slot `index`.
    fn entry(&mut self, index: u32) -> &mut Entry {
        self.timers.slot_mut(index)
    }

    fn push_back(&mut self, level: usize, slot: usize, index: u32) {
        let list = &mut self.levels[level].slots[slot];
        let old_tail = std::mem::replace(&mut list.tail, index);
        if old_tail == NIL {
            list.head = index;
        } else {
            self.entry(old_tail).next = index;
        }
        let entry = self.entry(index);
        entry.prev = old_tail;
        entry.next = NIL;
        self.levels[level].occupied |= 1u64 << slot;
    }

    fn unlink(&mut self, level: usize, slot: usize, index: u32) {
        let entry = self.entry(index);
        let prev = std::mem::replace(&mut entry.prev, NIL);
        let next = std::mem::replace(&mut entry.next, NIL);
        if prev == NIL {
            self.levels[level].slots[slot].head = next;
        } else {
            self.entry(prev).next = next;
        }
        if next == NIL {
            self.levels[level].slots[slot].tail = prev;
        } else {
            self.entry(next).prev = prev;
        }
        if self.levels[level].slots[slot].head == NIL {
            self.levels[level].occupied &= !(1u64 << slot);
        }
    }
}

// ANCHOR: level_for
/// The level for `deadline` seen from `elapsed`, or `None` for the overflow.
fn level_for(elapsed: Tick, deadline: Tick) -> Option<usize> {
    // `| (SLOTS - 1)`: a deadline equal to `elapsed` differs in no bit; it
    // belongs to level 0 (tokio#2473 panicked here without it).
    let masked = (elapsed ^ deadline) | (SLOTS as u64 - 1);
    if masked >= MAX_SPAN {
        return None;
    }
    let highest_bit = Tick::BITS - 1 - masked.leading_zeros();
    Some((highest_bit / SLOT_BITS) as usize)
}

fn slot_for(deadline: Tick, level: usize) -> usize {
    ((deadline >> (SLOT_BITS * level as u32)) as usize) % SLOTS
}
// ANCHOR_END: level_for

impl fmt::Debug for Wheel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Occupied<'a>(&'a [Level; LEVELS]);
        impl fmt::Debug for Occupied<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut list = f.debug_map();
                for (level, lvl) in self.0.iter().enumerate() {
                    if lvl.occupied != 0 {
                        let slots: Vec<u32> =
                            (0..64).filter(|s| lvl.occupied & (1 << s) != 0).collect();
                        list.entry(&format_args!("level {level}"), &slots);
                    }
                }
                list.finish()
            }
        }
        f.debug_struct("Wheel")
            .field("elapsed_ms", &self.elapsed)
            .field("timers", &self.timers.len())
            .field("next_deadline_ms", &self.next_deadline())
            .field("occupied_slots", &Occupied(&self.levels))
            .field("overflow", &self.overflow.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::xorshift::Rng;
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::task::Wake;

    /// A waker that records its label in a shared log when woken.
    struct Label(u64, Arc<Mutex<Vec<u64>>>);
    impl Wake for Label {
        fn wake(self: Arc<Self>) {
            self.1.lock().unwrap().push(self.0);
        }
    }
    fn labelled(label: u64, log: &Arc<Mutex<Vec<u64>>>) -> Waker {
        Waker::from(Arc::new(Label(label, log.clone())))
    }
    fn fire(wheel: &mut Wheel, now: Tick) {
        let mut fired = Vec::new();
        wheel.advance(now, &mut fired, None);
        fired.into_iter().for_each(Waker::wake);
    }

    #[test]
    fn level_for_groups_bits_by_six() {
        assert_eq!(level_for(0, 0), Some(0));
        assert_eq!(level_for(0, 63), Some(0));
        assert_eq!(level_for(0, 64), Some(1));
        assert_eq!(level_for(0, 4095), Some(1));
        assert_eq!(level_for(0, 4096), Some(2));
        assert_eq!(level_for(0, (1 << 30) - 1), Some(4));
        assert_eq!(level_for(0, 1 << 30), Some(5));
        assert_eq!(level_for(0, MAX_SPAN - 1), Some(5));
        assert_eq!(level_for(0, MAX_SPAN), None);
        // Relative to elapsed, not to zero: 63 and 64 straddle a level-0 boundary.
        assert_eq!(level_for(63, 64), Some(1));
        assert_eq!(level_for(64, 65), Some(0));
        assert_eq!(level_for(MAX_SPAN - 1, MAX_SPAN), None);
        assert_eq!(level_for(MAX_SPAN, MAX_SPAN + 1), Some(0));
    }

    #[test]
    fn fires_in_deadline_order_and_creation_order_for_ties() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut wheel = Wheel::new(0);
        for (label, deadline) in [(1, 300), (2, 5), (3, 300), (4, 70_000), (5, 5), (6, 64)] {
            wheel.insert(deadline, labelled(label, &log)).unwrap();
        }
        fire(&mut wheel, 4);
        assert!(log.lock().unwrap().is_empty(), "nothing is due at 4 ms");
        fire(&mut wheel, 100_000);
        assert_eq!(*log.lock().unwrap(), vec![2, 5, 6, 1, 3, 4]);
        assert!(wheel.is_empty());
    }

    #[test]
    fn next_expiration_points_at_the_slot_or_cascade() {
        let mut wheel = Wheel::new(0);
        let noop = Waker::noop();
        wheel.insert(100, noop.clone()).unwrap();
        // 100 = 0b1_100100: level 1, slot 1, which starts at 64 (a cascade).
        assert_eq!(
            wheel.next_expiration(),
            Some(Expiration::Slot {
                level: 1,
                slot: 1,
                tick: 64
            })
        );
        let mut fired = Vec::new();
        wheel.advance(64, &mut fired, None);
        assert!(fired.is_empty());
        assert_eq!(
            wheel.next_expiration(),
            Some(Expiration::Slot {
                level: 0,
                slot: 36,
                tick: 100
            })
        );
        wheel.advance(100, &mut fired, None);
        assert_eq!(fired.len(), 1);
    }

    /// What a trace is told: where a timer was put, each cascade, each fire.
    #[test]
    fn advance_tells_where_each_timer_went_when_asked() {
        let mut wheel = Wheel::new(0);
        let b = wheel.insert(100, Waker::noop().clone()).unwrap();
        let level_1 = Place::Wheel { level: 1, slot: 1 };
        assert_eq!(wheel.place_of(b), Some(level_1));
        let (mut fired, mut moves) = (Vec::new(), Vec::new());
        wheel.advance(64, &mut fired, Some(&mut moves));
        let level_0 = Place::Wheel { level: 0, slot: 36 };
        let cascade = Moved {
            key: b,
            from: level_1,
            to: Some(level_0),
        };
        assert_eq!(moves, [cascade]);
        wheel.advance(100, &mut fired, Some(&mut moves));
        let fire = Moved {
            key: b,
            from: level_0,
            to: None,
        };
        assert_eq!((moves, fired.len()), (vec![cascade, fire], 1));
        assert_eq!(wheel.place_of(b), None, "a fired timer's key is stale");
        let far = wheel.insert(MAX_SPAN + 5, Waker::noop().clone()).unwrap();
        assert_eq!(wheel.place_of(far), Some(Place::Overflow));
    }

    #[test]
    fn a_deadline_at_or_before_elapsed_is_already_due() {
        let mut wheel = Wheel::new(50);
        assert_eq!(
            wheel.insert(50, Waker::noop().clone()),
            Err(InsertError::AlreadyDue)
        );
        assert_eq!(
            wheel.insert(7, Waker::noop().clone()),
            Err(InsertError::AlreadyDue)
        );
        assert!(wheel.insert(51, Waker::noop().clone()).is_ok());
    }

    #[test]
    fn cancel_removes_the_timer_and_stale_keys_do_nothing() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut wheel = Wheel::new(0);
        let a = wheel.insert(10, labelled(1, &log)).unwrap();
        let b = wheel.insert(10, labelled(2, &log)).unwrap();
        let c = wheel.insert(10, labelled(3, &log)).unwrap();
        assert!(wheel.cancel(b).is_some());
        assert!(wheel.cancel(b).is_none(), "second cancel is a no-op");
        // The freed slot is reused; the old key must not reach the new timer.
        let d = wheel.insert(10, labelled(4, &log)).unwrap();
        assert!(wheel.cancel(b).is_none());
        assert!(!wheel.set_waker(b, Waker::noop()));
        assert_eq!(wheel.len(), 3);
        fire(&mut wheel, 10);
        assert_eq!(*log.lock().unwrap(), vec![1, 3, 4]);
        assert!(
            wheel.cancel(a).is_none() && wheel.cancel(c).is_none() && wheel.cancel(d).is_none()
        );
        assert_eq!(wheel.next_expiration(), None);
        assert_eq!(wheel.levels.iter().map(|l| l.occupied).sum::<u64>(), 0);
    }

    #[test]
    fn cancel_in_the_middle_of_a_slot_keeps_the_list_intact() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut wheel = Wheel::new(0);
        let keys: Vec<_> = (0..5)
            .map(|i| wheel.insert(3, labelled(i, &log)).unwrap())
            .collect();
        wheel.cancel(keys[0]); // head
        wheel.cancel(keys[2]); // middle
        wheel.cancel(keys[4]); // tail
        fire(&mut wheel, 3);
        assert_eq!(*log.lock().unwrap(), vec![1, 3]);
    }

    #[test]
    fn set_waker_replaces_the_waker() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut wheel = Wheel::new(0);
        let key = wheel.insert(5, labelled(1, &log)).unwrap();
        assert!(wheel.set_waker(key, &labelled(2, &log)));
        fire(&mut wheel, 5);
        assert_eq!(*log.lock().unwrap(), vec![2]);
    }

    /// Start the clock just below a level boundary at 2^30 and 2^36 ticks and
    /// check that timers on both sides of it fire, in order, on time. At 2^36
    /// the far timer starts in the overflow map and must not hide the near ones
    /// (the bug class of tokio#8334).
    #[test]
    fn crossing_the_top_level_boundaries() {
        for start in [(1u64 << 30) - 3, MAX_SPAN - 3, 3 * MAX_SPAN - 3] {
            let log = Arc::new(Mutex::new(Vec::new()));
            let mut wheel = Wheel::new(start);
            let far = start + MAX_SPAN + 10; // beyond the wheel's span
            let deadlines = [far, start + 1, start + 5, start + 70, start + 5_000_000];
            for (label, &deadline) in deadlines.iter().enumerate() {
                wheel
                    .insert(deadline, labelled(label as u64, &log))
                    .unwrap();
            }
            assert_eq!(wheel.next_deadline(), Some(start + 1), "start {start}");
            let mut expected = vec![];
            for (label, deadline) in [
                (1, start + 1),
                (2, start + 5),
                (3, start + 70),
                (4, start + 5_000_000),
                (0, far),
            ] {
                fire(&mut wheel, deadline - 1);
                assert_eq!(
                    *log.lock().unwrap(),
                    expected,
                    "early at {deadline} (start {start})"
                );
                fire(&mut wheel, deadline);
                expected.push(label);
                assert_eq!(
                    *log.lock().unwrap(),
                    expected,
                    "late at {deadline} (start {start})"
                );
            }
            assert!(wheel.is_empty());
        }
    }

    /// The wheel against a model: a sorted list of (deadline, creation order).
    /// Random inserts (near, far, very far), cancels and advances (small and
    /// huge), thousands of timers; after every step the wheel must have fired
    /// exactly what the model says, in the model's order.
    #[test]
    fn matches_a_sorted_list_model() {
        let seeds: Vec<u64> = match std::env::var("BUSY_CHEF_SEED") {
            Ok(seed) => vec![seed.parse().expect("BUSY_CHEF_SEED is a number")],
            Err(_) => (1..=20).collect(),
        };
        for seed in seeds {
            let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let start = [0, (1 << 30) - 500, MAX_SPAN - 500][(seed % 3) as usize];
            let mut wheel = Wheel::new(start);
            let log = Arc::new(Mutex::new(Vec::new()));
            let mut model: Vec<(Tick, u64)> = Vec::new(); // (deadline, label)
            let mut keys: Vec<(TimerKey, u64)> = Vec::new();
            let mut now = start;
            let mut label = 0;
            for _step in 0..3_000 {
                match rng.below(10) {
                    0..=4 => {
                        let delta = match rng.below(10) {
                            0..=5 => 1 + rng.below(100),
                            6..=7 => 1 + rng.below(100_000),
                            8 => 1 + rng.below(1 << 40),
                            _ => 0, // due now
                        };
                        label += 1;
                        match wheel.insert(now + delta, labelled(label, &log)) {
                            Ok(key) => {
                                model.push((now + delta, label));
                                keys.push((key, label));
                            }
                            Err(InsertError::AlreadyDue) => assert_eq!(delta, 0),
                        }
                    }
                    5..=6 if !keys.is_empty() => {
                        let (key, label) = keys.swap_remove(rng.below(keys.len() as u64) as usize);
                        let in_model = model.iter().position(|&(_, l)| l == label);
                        assert_eq!(wheel.cancel(key).is_some(), in_model.is_some());
                        if let Some(i) = in_model {
                            model.remove(i);
                        }
                    }
                    _ => {
                        now += match rng.below(10) {
                            0..=6 => rng.below(200),
                            7..=8 => rng.below(200_000),
                            _ => rng.below(1 << 38),
                        };
                        fire(&mut wheel, now);
                        // Stable sort: ties stay in creation (label) order.
                        model.sort_by_key(|&(deadline, _)| deadline);
                        let due = model.iter().take_while(|&&(d, _)| d <= now).count();
                        let expected: Vec<u64> = model.drain(..due).map(|(_, l)| l).collect();
                        let got = std::mem::take(&mut *log.lock().unwrap());
                        assert_eq!(got, expected, "seed {seed}, now {now}");
                    }
                }
                assert_eq!(wheel.len(), model.len(), "seed {seed}");
                let model_next = model.iter().map(|&(d, _)| d).min();
                if let (Some(next), Some(model_next)) = (wheel.next_deadline(), model_next) {
                    assert!(
                        next <= model_next,
                        "seed {seed}: the wheel would sleep past a timer"
                    );
                }
            }
        }
    }

    #[test]
    fn debug_shows_occupied_slots() {
        let mut wheel = Wheel::new(0);
        wheel.insert(3, Waker::noop().clone()).unwrap();
        wheel.insert(100, Waker::noop().clone()).unwrap();
        let text = format!("{wheel:?}");
        assert!(text.contains("timers: 2"), "{text}");
        assert!(
            text.contains("\"level 0\": [3]") || text.contains("level 0: [3]"),
            "{text}"
        );
    }
}

/// The integration tests' random generator, shared with the model test above.
#[cfg(test)]
#[path = "../../tests/xorshift/mod.rs"]
mod xorshift;
