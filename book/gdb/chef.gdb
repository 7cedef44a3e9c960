# The busy chef under rust-gdb, as book/src/debugger.md shows it.
# tests/debugger.rs runs these commands, one per line, with
#     rust-gdb -batch -x book/gdb/chef.gdb target/debug/examples/chef
# and writes what they print to book/src/generated/gdb-chef.txt.
busy break-poll toast
run --simulated
busy tasks
busy queue
next
next
busy next
busy tasks
busy await-tree
busy timers
set print pretty on
print $busy_task("toast")
