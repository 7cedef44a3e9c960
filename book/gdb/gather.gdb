# The course program under rust-gdb, as book/src/debugger.md shows it.
# tests/debugger.rs runs these commands, one per line, with
#     rust-gdb -batch -x book/gdb/gather.gdb target/debug/examples/gather
# and writes what they print to book/src/generated/gdb-gather.txt.
break gather::download_file
run --simulated
finish
delete
tbreak busy_chef::runtime::core::Core::park
continue
busy await-tree
busy timers
