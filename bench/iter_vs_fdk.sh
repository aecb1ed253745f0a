#!/usr/bin/env bash
# Iterative reconstruction beside one FDK (bench/bench_iter.c): 133 views of
# 616 x 480 -> 256^3, one iteration of SART (8 subsets), CGLS and TV, run
# once (each iteration is a forward and a backprojection of every view).
# Prints wall and processor seconds, residual and RMSE against the phantom.
# QUICK=1: 128^3 and 67 views.
set -euo pipefail
BUILD=${1:-build}
BIN="$BUILD/bench/bench_iter"
[ -x "$BIN" ] || { echo "iter_vs_fdk: $BIN not built" >&2; exit 1; }
if [ "${QUICK:-0}" = 1 ]; then
  "$BIN" --size 128 --views 67 --iterations 1
else
  "$BIN" --iterations "${ITERATIONS:-1}"
fi
