#!/usr/bin/env bash
# Forward projection side by side with the peer: carm's Joseph projector
# (bench_project) and `plastimatch drr` on the same case: RTK's Shepp-Logan
# (scale 128 mm) in 256^3 voxels of 1 mm, 360 views of 512 x 384 pixels of
# 1.2 mm, full circle, SID 1000 mm, SDD 1536 mm. Conventions: docs/peer.md.
# Prints both wall times and both errors against the exact analytic
# projections (every 10th view).
#
# usage: bench/project_vs_plastimatch.sh [BUILD_DIR]   (default: build)
#   VIEWS=36 bench/project_vs_plastimatch.sh            fewer views
#   QUICK=1 bench/project_vs_plastimatch.sh             36 views
# The full case takes about two minutes of plastimatch on 2 cores: run it
# once, not in a loop, on a shared machine.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
bench="$build/bench/bench_project"
if [[ -n "${QUICK:-}" ]]; then
  views="${VIEWS:-36}"
else
  views="${VIEWS:-360}"
fi
if [[ ! -x "$bench" ]]; then
  echo "project_vs_plastimatch: $bench not built (cmake --build $build)" >&2
  exit 1
fi
if ! command -v plastimatch >/dev/null 2>&1; then
  echo "project_vs_plastimatch: plastimatch not installed (apt-get install plastimatch)" >&2
  exit 1
fi
tmp="$(mktemp -d "${TMPDIR:-/tmp}/carm_pm_XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== carm (bench_project, median of 3 runs)"
"$bench" --runs 3 --views "$views" | tee "$tmp/carm.txt"
carm_s=$(sed -n 's/^median \([0-9.]*\) s.*/\1/p' "$tmp/carm.txt")

echo "== plastimatch drr (one run)"
"$bench" --write-pm-volume "$tmp/vol.mha" >/dev/null
mkdir -p "$tmp/out"
start=$(date +%s.%N)
plastimatch drr -t pfm --sad 1000 --sid 1536 -r "512 384" -z "614.4 460.8" \
  -y 0 -N "$(echo "360 / $views" | bc -l)" -a "$views" \
  -O "$tmp/out/p_" -I "$tmp/vol.mha" >"$tmp/pm.log" 2>&1
end=$(date +%s.%N)
pm_s=$(echo "$end - $start" | bc -l)
printf 'plastimatch drr: %.3f s (%d views)\n' "$pm_s" "$views"
"$bench" --views "$views" --check-pm "$tmp/out"
printf 'speed-up carm vs plastimatch drr (wall time, same case): %.2fx\n' \
  "$(echo "$pm_s / $carm_s" | bc -l)"
