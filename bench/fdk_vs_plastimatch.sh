#!/usr/bin/env bash
# carm FDK beside plastimatch fdk on the same exact projections of a
# liver-like phantom (bench/bench_fdk.c), same thread count, one run each.
# Reports wall time, backprojection GUPS (carm), peak RSS and RMSE (HU)
# against the analytic truth.
#
# usage: bench/fdk_vs_plastimatch.sh [BUILD_DIR] [CASE]
#   CASE a (default): 133 views of 616x480 over 200 deg -> 256^3 at 1 mm
#   CASE b: 496 views of 1248x960 over 360 deg -> 512^3 at 0.5 mm (RabbitCT's
#     size; not run by `make bench`: 32 min measured on the 2-core machine
#     under a load of 10-13, an estimated 8-10 min on idle cores; 2.4 GB of
#     projections in memory (peak RSS 2.95 GB) and 4.8 GB in $TMPDIR)
#   QUICK=1: case a at half resolution (128^3 at 2 mm, 308x240 pixels)
set -euo pipefail
build=${1:-build}
case_=${2:-a}
threads=${THREADS:-$(nproc)}
export OMP_NUM_THREADS=$threads
bench=$build/bench/bench_fdk
carm=$build/bin/carm
[ -x "$bench" ] || { echo "build first: $bench missing" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "${QUICK:-0}" = 1 ]; then
  args=(--views 133 --det 308x240 --pitch 1.232 --arc 200 --size 128 --spacing 2)
  n=128 mm=256 sp=2 views=133
elif [ "$case_" = b ]; then
  args=(--views 496 --det 1248x960 --pitch 0.308 --arc 360 --size 512 --spacing 0.5)
  n=512 mm=256 sp=0.5 views=496
else
  args=(--views 133 --det 616x480 --pitch 0.616 --arc 200 --size 256 --spacing 1)
  n=256 mm=256 sp=1 views=133
fi

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $threads threads, $(free -g | awk '/^Mem:/ {print $2}') GiB"
echo "case ${case_}$([ "${QUICK:-0}" = 1 ] && echo " (QUICK)"): uptime before: $(uptime)"
echo "== carm (library, bench_fdk) =="
"$bench" "${args[@]}" --threads "$threads" --export-plastimatch "$tmp/pm" \
  --export-carm "$tmp/carm" | tee "$tmp/carm.txt"
scale=$(sed -n 's/.*intensity scale for HU: \([0-9.eE+-]*\)).*/\1/p' "$tmp/carm.txt")

if [ -x "$carm" ]; then
  echo "== carm recon (CLI, from files) =="
  /usr/bin/time -f "carm recon: wall %e s, CPU %U+%S s, peak RSS %M KB" "$carm" recon --quiet \
    --geometry "$tmp/carm/geometry.xml" --size $n,$n,$n --spacing $sp,$sp,$sp --hu --threads "$threads" --output "$tmp/carm_cli.mha" "$tmp/carm/projections.mha"
fi

if command -v plastimatch > /dev/null; then
  echo "== plastimatch fdk (as shipped: its ramp filter, no Parker) =="
  /usr/bin/time -f "plastimatch fdk: wall %e s, CPU %U+%S s, peak RSS %M KB" plastimatch fdk \
    -I "$tmp/pm" -O "$tmp/pm.mha" -r "$n $n $n" -z "$mm $mm $mm" -s "$scale" > "$tmp/pm.log" 2>&1 ||
    { tail -5 "$tmp/pm.log"; exit 1; }
  grep "plastimatch fdk:" "$tmp/pm.log" || true
  # plastimatch reports its own filter and backprojection times
  bp=$(sed -n 's/^Backprojection time = \([0-9.eE+-]*\)$/\1/p' "$tmp/pm.log")
  ft=$(sed -n 's/^Filter time = \([0-9.eE+-]*\)$/\1/p' "$tmp/pm.log")
  if [ -n "$bp" ]; then
    awk -v v="$views" -v n="$n" -v b="$bp" -v f="$ft" 'BEGIN {
      printf "plastimatch backprojection: %.3f GUPS (wall, %.1f s; filter %.1f s)\n", v * n * n * n / b / 1e9, b, f }'
  fi
  "$bench" "${args[@]}" --score-plastimatch "$tmp/pm.mha"
else
  echo "plastimatch not installed: skipped"
fi
echo "uptime after: $(uptime)"
if [ "$case_" != b ]; then
  echo "case (b), 496 views of 1248x960 -> 512^3 (8-30 min, 3 GB RAM): $0 $build b"
fi
