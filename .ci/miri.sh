#!/usr/bin/env bash
# Undefined-behaviour check: run the tests that exercise the executor's
# `unsafe` code (the task's union stage, the borrowed waker, the task built in place,
# the pin projections) under Miri, Rust's interpreter that checks the
# language's rules as the program runs: pointer provenance (Stacked Borrows
# by default), uninitialised reads, use after free, data races.
#
# Run it locally from the project root:
#
#     bash .ci/miri.sh                     # the default set below
#     bash .ci/miri.sh cancellation faults # only these test binaries
#     MIRIFLAGS=-Zmiri-tree-borrows bash .ci/miri.sh   # the other model
#
# Miri needs a nightly toolchain with the miri component; the script adds
# the component when the nightly is there, and says what to do when it is
# not. It is not part of CI: a fresh CI machine has only the stable
# toolchain and cannot download another (valgrind memcheck, in
# .ci/memcheck.sh, runs there instead).
#
# The default set leaves out the tests that start other programs (Miri
# cannot), that measure real time or CPU time, and the very large ones (Miri
# runs code ~1000x slower): of the unit tests, the thread pool's (they wait
# out its 5 s idle timeout) and the wheel's randomized model check. Takes a
# few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
export BUSY_CHEF_MEMCHECK=1 # the big tests shrink, as under valgrind

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "miri.sh: no nightly toolchain; install one with 'rustup toolchain install nightly'" >&2
  exit 2
fi
if ! cargo +nightly miri --version >/dev/null 2>&1; then
  rustup component add --toolchain nightly miri rust-src
fi

TESTS=("$@")
if [ ${#TESTS[@]} -eq 0 ]; then
  TESTS=(waker_queue join_handle cancellation faults timer_limits)
fi
ARGS=(--lib)
for test in "${TESTS[@]}"; do ARGS+=(--test "$test"); done

# Isolation off: some tests read the real clock, and a few use threads.
export MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-disable-isolation"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/miri}"
cargo +nightly miri test "${ARGS[@]}" -- \
  --skip blocking::tests --skip matches_a_sorted_list_model
