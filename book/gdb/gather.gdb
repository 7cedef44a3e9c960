# A guided tour of `cargo run --example gather` in rust-gdb.
#
#   cargo build --example gather
#   rust-gdb -batch -x book/gdb/gather.gdb --args target/debug/examples/gather --simulated
#
# (Drop -batch to stay at the gdb prompt afterwards.) Each stop prints a line
# starting with "@@ " and what there is to see there; tests/debugger.rs runs
# this script and checks that the stops come in the order the book describes.

set pagination off
set confirm off
set breakpoint pending on
set print pretty on
set print frame-info short-location

# ANCHOR: breakpoints
# 1. block_on polls the main future: the compiler's state machine for
#    `async fn async_main`.
break gather::async_main::{async_fn#0}
commands
  silent
  printf "@@ 1 block_on polls the main future (async_main)\n"
  continue
end

# 2. join_all polls one `download_file` future. One frame up, `future` is the
#    compiler-generated state machine: Unresumed{..} on the first poll,
#    Suspend0{.., __awaitee: Sleep{..}} when it resumes after its sleep.
break gather::download_file::{async_fn#0}
commands
  silent
  printf "@@ 2 poll download_file\n"
  up-silently
  print *future.pointer
  continue
end

# 3. Sleep::poll registers a timer in the wheel: the deadline is in ticks (ms).
break busy_chef::wheel::Wheel::insert
commands
  silent
  printf "@@ 3 timer registered, deadline %d ms\n", deadline
  continue
end

# 4. Nothing is ready: the executor parks (the simulated clock jumps ahead).
break busy_chef::executor::Core::park
commands
  silent
  printf "@@ 4 park: nothing is ready\n"
  continue
end

# 5. The wheel empties a slot: timers fire, or move down a level (cascade).
break busy_chef::wheel::Wheel::process_slot
commands
  silent
  printf "@@ 5 the wheel processes level %d slot %d at %d ms\n", level, slot, (*self).elapsed
  continue
end

# 6. A waker fires: the task's key goes into the waker queue.
break busy_chef::task::Header::wake
commands
  silent
  if (*self).slot == 4294967295
    printf "@@ 6 wake: the main future's waker queues it (slot MAIN_SLOT)\n"
  else
    printf "@@ 6 wake: the task in slot %u is queued\n", (*self).slot
  end
  print *self
  continue
end

# ANCHOR_END: breakpoints
run
