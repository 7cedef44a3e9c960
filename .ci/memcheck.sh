#!/usr/bin/env bash
# Memory check (issue 7): run the unit and integration test binaries under
# valgrind memcheck. Passes only with zero memory errors (use-after-free,
# invalid reads and writes, uninitialised values, bad frees) and zero
# definitely-lost bytes.
#
# Run it locally from the project root:
#
#     bash .ci/memcheck.sh                 # every test binary but the skipped ones
#     bash .ci/memcheck.sh faults random_ops   # only these test binaries
#
# Leaks that are on purpose are suppressed, narrowly, in .ci/memcheck.supp.
# It installs valgrind with apt-get if it is missing (CI runs as root on
# Debian). With BUSY_CHEF_MEMCHECK=1 in the environment (set here) the large
# tests shrink: tests/million_timers.rs registers 20,000 timers instead of a
# million, tests/random_ops.rs runs 4 seeds instead of 40, and the random
# programs of tests/trace.rs 8 seeds instead of 60. valgrind runs
# code ~20-50x slower, and serializes threads.
#
# Skipped test binaries (MEMCHECK_SKIP overrides the list), because they test
# other programs or real-time behaviour, not this crate's memory:
#   book, book_examples, examples, debugger, cpu_bound, threads_vs_tasks
#       run mdbook, python3, gdb, rustc or the example binaries as
#       child processes and compare their output (valgrind does not follow
#       children: nothing of ours would be checked, only slowed down);
#   park_cpu  measures the CPU time of a parked executor, which valgrind
#       inflates by an order of magnitude (it fails under valgrind).
# Every other test runs, including the ones on the real clock (they assert
# "never early", which stays true when everything is slower).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
export BUSY_CHEF_MEMCHECK=1

SKIP="${MEMCHECK_SKIP-book book_examples examples debugger cpu_bound threads_vs_tasks park_cpu}"

if ! command -v valgrind >/dev/null 2>&1; then
  echo "installing valgrind"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq valgrind >/dev/null
fi
valgrind --version

# Build the test binaries (the same debug profile `cargo test` uses) and list
# them: cargo's JSON messages name each executable.
messages=$(mktemp)
cargo test --no-run --message-format=json >"$messages"
binaries=$(grep '"reason":"compiler-artifact"' "$messages" | grep '"test":true' \
  | grep -o '"executable":"[^"]*"' | sed 's/^"executable":"//; s/"$//' || true)
rm -f "$messages"
[ -n "$binaries" ] || { echo "memcheck: cargo built no test binaries"; exit 1; }

failed=()
ran=0
start=$(date +%s)
for binary in $binaries; do
  name=$(basename "$binary" | sed -E 's/-[0-9a-f]{16}$//')
  if [ $# -gt 0 ]; then
    case " $* " in *" $name "*) ;; *) continue ;; esac
  elif case " $SKIP " in *" $name "*) true ;; *) false ;; esac; then
    echo "memcheck: skip $name"
    continue
  fi
  t0=$(date +%s)
  log=$(mktemp)
  if valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
       --show-leak-kinds=definite --fair-sched=yes --quiet \
       --suppressions=.ci/memcheck.supp \
       "$binary" --quiet >"$log" 2>&1; then
    echo "memcheck: ok   $name ($(( $(date +%s) - t0 )) s)"
  else
    status=$?
    echo "memcheck: FAIL $name (exit $status; 99 = valgrind found errors or leaks)"
    cat "$log"
    failed+=("$name")
  fi
  rm -f "$log"
  ran=$((ran + 1))
done

echo "memcheck: $ran test binaries in $(( $(date +%s) - start )) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "memcheck: failed: ${failed[*]}"
  exit 1
fi
[ "$ran" -gt 0 ] || { echo "memcheck: no test binary matched"; exit 1; }
echo "memcheck: no memory errors, no definite leaks"
