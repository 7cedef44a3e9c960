//! Telling that nothing can ever wake anything: a certain deadlock.
//!
//! Book chapter: *Seeing it* (`book/src/seeing-it.md`).
//!
//! **Why the reference count tells.** A waker is a counted reference to its
//! task (`runtime/task/header.rs`). The executor holds a known number of
//! references itself (the task table, the `JoinHandle`, `block_on`'s own
//! waker). Any reference beyond those is a waker clone somewhere: in a
//! timer, in another task's awaiter slot, in a channel, on another thread.
//! All of those count as "someone may wake it". When there is none, and the
//! task is not queued, nothing can ever wake it: a waker is handed out only
//! by a poll, and no poll will come.
//!
//! The runtime checks one task that way after each poll (a *lost waker*
//! warning, or for `block_on`'s own future a deadlock panic). When it has
//! waited a while with no timer set, it hands the facts about every task to
//! [`all_stuck`], which looks for a circle of tasks that can only be woken
//! by one another.

use crate::base::id::TaskId;

use super::warnings::Warnings;

/// What the runtime tells about one task (or `block_on`'s future).
pub(crate) struct TaskFacts {
    pub(crate) id: TaskId,
    pub(crate) name: Option<String>,
    /// The address its wakers carry.
    pub(crate) data: *const (),
    /// Its reference count, read before `queued`.
    pub(crate) references: usize,
    /// How many of those the executor holds itself.
    pub(crate) own: usize,
    pub(crate) queued: bool,
    /// The address carried by the waker in its awaiter slot, if any.
    pub(crate) awaiter: Option<*const ()>,
}

impl TaskFacts {
    /// Can nothing wake it, if `dead` of its waker clones can never fire?
    fn stranded(&self, dead: usize) -> bool {
        !self.queued && self.references <= self.own + dead
    }
}

/// The deadlock message, if every task is stuck and `main`'s waker clones
/// all sit in the awaiter slots of stuck tasks.
///
/// "Stuck" is the largest set of tasks such that each is not queued and has
/// no waker clone except in the awaiter slots of stuck tasks (a circle of
/// tasks awaiting each other is stuck as a whole). A clone anywhere else (a
/// channel, another thread, a `join_all` child waker) counts as live.
pub(crate) fn all_stuck(main: &TaskFacts, tasks: &[TaskFacts]) -> Option<String> {
    let mut stuck = vec![true; tasks.len()];
    // Clones of `data` held by the awaiter slots of tasks still thought stuck.
    let dead_clones = |stuck: &[bool], data: *const ()| {
        tasks
            .iter()
            .zip(stuck)
            .filter(|(task, s)| **s && task.awaiter == Some(data))
            .count()
    };
    loop {
        let mut changed = false;
        for (i, task) in tasks.iter().enumerate() {
            if stuck[i] && !task.stranded(dead_clones(&stuck, task.data)) {
                stuck[i] = false;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    if stuck.contains(&false) || !main.stranded(dead_clones(&stuck, main.data)) {
        return None; // some task (or main) may still be woken, by another thread
    }
    let awaited: Vec<String> = tasks
        .iter()
        .filter(|task| task.awaiter == Some(main.data))
        .map(|task| Warnings::describe(task.id, task.name.as_deref()))
        .collect();
    Some(Warnings::deadlock_all_stuck(main.id, &awaited))
}
