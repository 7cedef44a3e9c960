//! A slab: a `Vec` whose holes are reused, named by generational keys.
//!
//! Book chapter: *Tasks and the waker queue* (`book/src/tasks.md`).
//!
//! The executor keeps its tasks in a slab, and the timer wheel its timers.
//! Inserting returns a [`Key`]; removing leaves a hole that the next insert
//! fills. Vacant slots form a linked list threaded through the vector
//! itself, so insert and remove are O(1) and allocate only when the vector
//! grows.
//!
//! ## Stale keys
//!
//! A slot is reused, so a slot number alone is not a safe name: a late wake
//! could name a slot that now holds a newer task. So a key is a slot *and a
//! generation*. Each slot counts how many times it has been emptied; a key
//! made when the slot held generation 3 does not match once the slot is at
//! generation 4. Every lookup compares the two, and a *stale* key finds
//! nothing. That is the one idea of "stale" in the whole executor: a late
//! wake of a finished task, a `Sleep` whose timer has fired, a key left in
//! the run queue from an earlier `block_on`.
//!
//! A value carries its own key ([`Keyed`]): a task's header and a timer's
//! entry hold theirs anyway, so the slab does not store it a second time.
//!
//! ## Lending
//!
//! The executor takes a task *out* of its slot while it polls it
//! ([`lend`](Slab::lend)), so the table is not borrowed during the poll (the
//! task may spawn, which inserts). The slot stays reserved (`Lent`): it is
//! not reused, and removing it is refused, until the loan ends
//! ([`end_loan`](Slab::end_loan)) with the value put back or dropped.

use std::fmt;

// ANCHOR: key
/// Names one entry of a [`Slab`]: its slot and the slot's generation.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    slot: u32,
    generation: u32,
}
// ANCHOR_END: key

impl Key {
    /// The slot number (its index in the slab).
    pub fn slot(self) -> u32 {
        self.slot
    }

    /// How many times the slot had been emptied when this key was made.
    pub fn generation(self) -> u32 {
        self.generation
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "slot {} gen {}", self.slot, self.generation)
    }
}

/// A value that knows its own key. The slab keeps each key once, inside
/// its value: a task's header, a timer's entry, already hold it.
pub trait Keyed {
    /// The key this value was stored under.
    fn key(&self) -> Key;
}

/// "No slot": the end of the vacant list.
const NONE: u32 = u32::MAX;
/// In place of the next vacant slot: this slot's value is lent.
const LENT: u32 = u32::MAX - 1;

enum Entry<T> {
    /// A value; its key (and so the slot's generation) is inside it.
    Occupied(T),
    /// No value: a hole, whose `next` is the next hole (or `NONE`); or a
    /// value lent out by `lend`, `next == LENT`, reserved until `end_loan`.
    Empty { generation: u32, next: u32 },
}

/// A vector with reusable holes. See the module docs.
pub struct Slab<T> {
    entries: Vec<Entry<T>>,
    first_vacant: u32,
    len: usize,
}

impl<T: Keyed> Default for Slab<T> {
    fn default() -> Self {
        Slab::new()
    }
}

impl<T: Keyed> Slab<T> {
    /// An empty slab.
    pub const fn new() -> Self {
        Slab {
            entries: Vec::new(),
            first_vacant: NONE,
            len: 0,
        }
    }

    /// The key that the next [`insert`](Self::insert) will use: the value
    /// to insert is made with it.
    #[inline]
    pub fn next_key(&self) -> Key {
        match self.entries.get(self.first_vacant as usize) {
            Some(Entry::Empty { generation, .. }) => Key {
                slot: self.first_vacant,
                generation: *generation,
            },
            _ => Key {
                slot: u32::try_from(self.entries.len())
                    .ok()
                    .filter(|&slot| slot < LENT)
                    .expect("a slab holds fewer than 2^32 - 2 entries"),
                generation: 0,
            },
        }
    }

    /// Stores `value` under `key`, which [`next_key`](Self::next_key) gave
    /// (and which the value holds).
    #[inline]
    pub fn insert(&mut self, key: Key, value: T) {
        debug_assert_eq!(key, self.next_key(), "a value is inserted under next_key()");
        debug_assert_eq!(value.key(), key, "the value holds its key");
        if key.slot as usize == self.entries.len() {
            self.entries.push(Entry::Occupied(value));
        } else {
            let entry = &mut self.entries[key.slot as usize];
            let Entry::Empty { next, .. } = *entry else {
                unreachable!("the vacant list leads to an occupied slot")
            };
            self.first_vacant = next;
            *entry = Entry::Occupied(value);
        }
        self.len += 1;
    }

    /// The value under `key`, unless the key is stale (or the value is lent).
    #[inline]
    pub fn get(&self, key: Key) -> Option<&T> {
        match self.entries.get(key.slot as usize)? {
            Entry::Occupied(value) if value.key() == key => Some(value),
            _ => None,
        }
    }

    /// The value in `slot`, for a caller that knows the slot is occupied by
    /// an invariant of its own (the timer wheel's lists link live timers).
    ///
    /// # Panics
    ///
    /// If the slot holds no value: that invariant is broken.
    #[inline]
    pub fn slot_mut(&mut self, slot: u32) -> &mut T {
        match self.entries.get_mut(slot as usize) {
            Some(Entry::Occupied(value)) => value,
            _ => panic!("slot {slot} holds no value"),
        }
    }

    /// Like [`get`](Self::get), for changing the value (not its key).
    #[inline]
    pub fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        match self.entries.get_mut(key.slot as usize)? {
            Entry::Occupied(value) if value.key() == key => Some(value),
            _ => None,
        }
    }

    /// Takes the value out, unless the key is stale. The slot becomes
    /// vacant, and every key to it stale.
    #[inline]
    pub fn remove(&mut self, key: Key) -> Option<T> {
        self.get(key)?;
        match self.vacate(key) {
            Entry::Occupied(value) => Some(value),
            Entry::Empty { .. } => unreachable!("checked just above"),
        }
    }

    // ANCHOR: lend
    /// Takes the value out for a while: the slot stays reserved, and lends
    /// nothing else, until [`end_loan`](Self::end_loan).
    #[inline]
    pub fn lend(&mut self, key: Key) -> Option<T> {
        let entry = self.entries.get_mut(key.slot as usize)?;
        if !matches!(entry, Entry::Occupied(value) if value.key() == key) {
            return None; // a stale key, or lent already
        }
        let lent = Entry::Empty {
            generation: key.generation,
            next: LENT,
        };
        match std::mem::replace(entry, lent) {
            Entry::Occupied(value) => Some(value),
            Entry::Empty { .. } => unreachable!("checked just above"),
        }
    }

    /// Ends the loan of `key`: `Some(value)` puts the value back, `None`
    /// empties the slot (the value was dropped or kept elsewhere).
    ///
    /// # Panics
    ///
    /// If `key` is not lent: a loan ends exactly once.
    #[inline]
    pub fn end_loan(&mut self, key: Key, value: Option<T>) {
        let entry = self.entries.get_mut(key.slot as usize);
        let Some(entry @ Entry::Empty { next: LENT, .. }) = entry else {
            panic!("end_loan of {key:?}, which is not lent");
        };
        match value {
            Some(value) => *entry = Entry::Occupied(value),
            None => drop(self.vacate(key)),
        }
    }

    /// Empties a live slot (occupied or lent) and bumps its generation.
    #[inline]
    fn vacate(&mut self, key: Key) -> Entry<T> {
        let vacant = Entry::Empty {
            generation: key.generation.wrapping_add(1),
            next: self.first_vacant,
        };
        self.first_vacant = key.slot;
        self.len -= 1;
        std::mem::replace(&mut self.entries[key.slot as usize], vacant)
    }

    /// How many entries are stored or lent.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No entry is stored or lent.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The stored values, in slot order (lent ones are out).
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().filter_map(|entry| match entry {
            Entry::Occupied(value) => Some(value),
            Entry::Empty { .. } => None,
        })
    }

    /// Empties the slab and returns every stored value, in slot order.
    ///
    /// # Panics
    ///
    /// If a value is lent: it could never be put back.
    pub fn take_all(&mut self) -> Vec<T> {
        let entries = std::mem::take(&mut self.entries);
        self.first_vacant = NONE;
        self.len = 0;
        entries
            .into_iter()
            .filter_map(|entry| match entry {
                Entry::Occupied(value) => Some(value),
                Entry::Empty { next: LENT, .. } => panic!("take_all while a value is lent"),
                Entry::Empty { .. } => None,
            })
            .collect()
    }
}

impl<T> fmt::Debug for Slab<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slab")
            .field("len", &self.len)
            .field("slots", &self.entries.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test value: a label and the key it was made with.
    #[derive(Debug, PartialEq)]
    struct Labelled(&'static str, Key);

    impl Keyed for Labelled {
        fn key(&self) -> Key {
            self.1
        }
    }

    fn insert(slab: &mut Slab<Labelled>, label: &'static str) -> Key {
        let key = slab.next_key();
        slab.insert(key, Labelled(label, key));
        key
    }

    fn label(value: Option<Labelled>) -> Option<&'static str> {
        value.map(|Labelled(label, _)| label)
    }

    #[test]
    fn holes_are_reused_most_recent_first_and_old_keys_go_stale() {
        let mut slab = Slab::new();
        let a = insert(&mut slab, "a");
        let b = insert(&mut slab, "b");
        let c = insert(&mut slab, "c");
        assert_eq!((a.slot(), b.slot(), c.slot()), (0, 1, 2));
        assert_eq!(label(slab.remove(b)), Some("b"));
        assert_eq!(label(slab.remove(b)), None, "removing twice finds nothing");
        assert_eq!(label(slab.remove(a)), Some("a"));
        assert_eq!(slab.next_key().slot(), a.slot());
        let d = insert(&mut slab, "d");
        assert_eq!((d.slot(), d.generation()), (0, 1), "slot 0, emptied once");
        assert!(
            slab.get(a).is_none(),
            "a's key is stale: slot 0 holds d now"
        );
        assert_eq!(slab.get(d).map(|v| v.0), Some("d"));
        assert_eq!(insert(&mut slab, "e").slot(), b.slot());
        assert_eq!(insert(&mut slab, "f").slot(), 3);
        assert_eq!(slab.len(), 4);
        let all: Vec<_> = slab.take_all().into_iter().map(|v| v.0).collect();
        assert_eq!(all, ["d", "e", "c", "f"]);
        assert!(slab.is_empty());
    }

    #[test]
    fn a_lent_slot_is_reserved_until_the_loan_ends() {
        let mut slab = Slab::new();
        let a = insert(&mut slab, "a");
        let lent = slab.lend(a);
        assert_eq!(label(lent), Some("a"));
        assert!(slab.get(a).is_none(), "lent: not in the slab");
        assert!(slab.lend(a).is_none(), "lent once only");
        assert!(slab.remove(a).is_none(), "a lent slot cannot be removed");
        let b = insert(&mut slab, "b");
        assert_ne!(b.slot(), a.slot(), "a lent slot is not reused");
        slab.end_loan(a, Some(Labelled("a", a)));
        assert_eq!(
            slab.get(a).map(|v| v.0),
            Some("a"),
            "put back under the same key"
        );
        let lent = slab.lend(a);
        assert!(lent.is_some());
        slab.end_loan(a, None);
        assert!(slab.get(a).is_none(), "emptied: the key is stale");
        assert_eq!(slab.len(), 1);
        assert_eq!(insert(&mut slab, "c").slot(), a.slot(), "then reused");
    }

    #[test]
    #[should_panic(expected = "not lent")]
    fn a_loan_ends_once() {
        let mut slab = Slab::new();
        let a = insert(&mut slab, "a");
        let lent = slab.lend(a);
        slab.end_loan(a, lent);
        slab.end_loan(a, None);
    }

    #[test]
    fn an_entry_costs_no_more_than_its_value_when_that_has_a_niche() {
        // A task table holds `Arc<dyn ..>`s: 16 bytes, and so 16 per slot,
        // because the slab keeps no key of its own beside the value.
        struct Fat(#[allow(dead_code)] std::sync::Arc<dyn Fn()>);
        impl Keyed for Fat {
            fn key(&self) -> Key {
                unreachable!()
            }
        }
        assert_eq!(std::mem::size_of::<Entry<Fat>>(), 16);
    }
}
