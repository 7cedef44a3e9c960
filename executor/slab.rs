//! A slab: a `Vec` whose holes are reused.
//!
//! The executor keeps its tasks, and the timer wheel its timers, in a slab.
//! Inserting returns a small integer (the *slot*); removing leaves a hole that
//! the next insert fills. Vacant slots form a linked list threaded through the
//! vector itself, so insert and remove are O(1) and allocate only when the
//! vector has to grow.
//!
//! A slot number is reused, so on its own it is not a safe name for a task: a
//! stale waker could name a slot that now holds a newer task. The executor
//! therefore pairs each slot with a task id that is never reused (see
//! `queue.rs`), and the wheel pairs each slot with a generation count.

use std::fmt;

const NONE: u32 = u32::MAX;

enum Entry<T> {
    Occupied(T),
    /// A hole; holds the slot number of the next hole (or `NONE`).
    Vacant(u32),
}

pub(crate) struct Slab<T> {
    entries: Vec<Entry<T>>,
    first_vacant: u32,
    len: usize,
}

impl<T> Slab<T> {
    pub(crate) const fn new() -> Self {
        Slab {
            entries: Vec::new(),
            first_vacant: NONE,
            len: 0,
        }
    }

    /// The slot that the next [`insert`](Self::insert) will use.
    pub(crate) fn next_slot(&self) -> u32 {
        if self.first_vacant == NONE {
            self.entries.len() as u32
        } else {
            self.first_vacant
        }
    }

    pub(crate) fn insert(&mut self, value: T) -> u32 {
        let slot = self.next_slot();
        assert!(
            slot != NONE,
            "slab is full: more than 2^32 - 1 live entries"
        );
        if slot as usize == self.entries.len() {
            self.entries.push(Entry::Occupied(value));
        } else {
            let entry = &mut self.entries[slot as usize];
            let Entry::Vacant(next) = *entry else {
                unreachable!("first_vacant points at an occupied slot")
            };
            self.first_vacant = next;
            *entry = Entry::Occupied(value);
        }
        self.len += 1;
        slot
    }

    pub(crate) fn get(&self, slot: u32) -> Option<&T> {
        match self.entries.get(slot as usize) {
            Some(Entry::Occupied(value)) => Some(value),
            _ => None,
        }
    }

    pub(crate) fn remove(&mut self, slot: u32) -> Option<T> {
        let entry = self.entries.get_mut(slot as usize)?;
        if let Entry::Vacant(_) = entry {
            return None;
        }
        let Entry::Occupied(value) = std::mem::replace(entry, Entry::Vacant(self.first_vacant))
        else {
            unreachable!()
        };
        self.first_vacant = slot;
        self.len -= 1;
        Some(value)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The values, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().filter_map(|entry| match entry {
            Entry::Occupied(value) => Some(value),
            Entry::Vacant(_) => None,
        })
    }

    /// Empties the slab and returns every value it held, in slot order.
    pub(crate) fn take_all(&mut self) -> Vec<T> {
        let entries = std::mem::take(&mut self.entries);
        self.first_vacant = NONE;
        self.len = 0;
        entries
            .into_iter()
            .filter_map(|entry| match entry {
                Entry::Occupied(value) => Some(value),
                Entry::Vacant(_) => None,
            })
            .collect()
    }
}

impl<T> fmt::Debug for Slab<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slab")
            .field("len", &self.len)
            .field("capacity", &self.entries.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_are_reused_most_recent_first() {
        let mut slab = Slab::new();
        let a = slab.insert("a");
        let b = slab.insert("b");
        let c = slab.insert("c");
        assert_eq!((a, b, c), (0, 1, 2));
        assert_eq!(slab.remove(b), Some("b"));
        assert_eq!(slab.remove(b), None, "removing twice finds nothing");
        assert_eq!(slab.remove(a), Some("a"));
        assert_eq!(slab.next_slot(), a);
        assert_eq!(slab.insert("d"), a);
        assert_eq!(slab.insert("e"), b);
        assert_eq!(slab.insert("f"), 3);
        assert_eq!(slab.len(), 4);
        assert_eq!(slab.get(c), Some(&"c"));
        assert_eq!(slab.take_all(), vec!["d", "e", "c", "f"]);
        assert_eq!(slab.len(), 0);
    }
}
