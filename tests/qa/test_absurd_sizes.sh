#!/usr/bin/env bash
# Absurd sizes and numbers in every numeric option: volumes and detectors far
# over the 64 GiB limit, a billion views, NaN/inf/overflowing values, zero and
# negative sizes. Each must be refused within seconds (exit 1 or 2 with a
# message; never allocate-and-swap, never a signal) and leave no output.
set -u
fail=0; pass=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*" >&2; fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
"$CARM" sim phantom --shepp-logan --size 8,8,8 --spacing 4,4,4 -o v.mha 2>/dev/null || exit 1
"$CARM" geometry circular --views 4 -o g.xml >/dev/null || exit 1
printf '{"segments":[{"id":1,"points":[[0,0,0],[10,10,10]]}]}' > t.json
refuse() { # CMD... (output is o.mha, o.png or o.xml)
  local t0; t0=$(date +%s)
  timeout 30 "$CARM" "$@" >/dev/null 2>err.txt
  local rc=$?
  local dt=$(( $(date +%s) - t0 ))
  ok test "$rc" -eq 1 -o "$rc" -eq 2
  ok test -s err.txt
  ok test "$dt" -le 10
  ok test ! -e o.mha -a ! -e o.png -a ! -e o.xml
  [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ] || echo "  rc $rc after ${dt}s: $*" >&2
  rm -f o.mha o.png o.xml
}
P=(sim phantom --shepp-logan)
for s in 100000,100000,100000 4096,4096,1025 65536,65536,4096 9223372036854775807,1,1 \
         99999999999999999999,1,1 0,1,1 -5,4,4 4,4 1,1,1e9 nan,1,1; do
  refuse "${P[@]}" --size "$s" --spacing 1,1,1 -o o.mha
done
for sp in nan,1,1 inf,1,1 0,1,1 -1,1,1 1e999,1,1; do
  refuse "${P[@]}" --size 4,4,4 --spacing "$sp" -o o.mha
done
for x in "--scale nan" "--scale 0" "--scale -1" "--supersample 0" "--supersample 100000" \
         "--origin nan,0,0" "--origin 1e999,0,0"; do
  # shellcheck disable=SC2086
  refuse "${P[@]}" --size 4,4,4 --spacing 1,1,1 $x -o o.mha
done
for x in "--views 1000000000" "--views 0" "--views -1" "--views nan" "--views 8 --sid 0" \
         "--views 8 --sid -1" "--views 8 --sid nan" "--views 8 --sdd -5" "--views 8 --sdd inf" \
         "--views 8 --first nan" "--views 8 --duration -1" "--views 8 --proj-offset nan,0" \
         "--views 8 --patient sideways"; do
  # shellcheck disable=SC2086
  refuse geometry circular $x -o o.xml
done
for x in "--arc 0" "--arc 1000" "--arc -1" "--jitter -1" "--views 0"; do
  # shellcheck disable=SC2086
  refuse geometry shortscan $x -o o.xml
done
for d in "100000,100000 1,1" "3037000500,3037000500 1,1" "0,10 1,1" "10,10 0,1" "10,10 -1,1" \
         "10,10 nan,1"; do
  set -- $d
  refuse project v.mha --geometry g.xml --size "$1" --spacing "$2" -o o.mha
  refuse sim project-analytic --shepp-logan --geometry g.xml --size "$1" --spacing "$2" -o o.mha
done
refuse project v.mha --geometry g.xml --size 8,8 --spacing 1,1 --threads -1 -o o.mha
for x in "--pixel 0" "--pixel -1" "--pixel nan" "--pixel 1e-300" "--pixel 1e308" "--window 0" \
         "--window nan" "--slab -1" "--mode bogus"; do
  # shellcheck disable=SC2086
  refuse render v.mha $x -o o.png
done
for x in "--lao nan --cra 0" "--lao 1e308 --cra 0" "--lao 0 --cra 0 --sid 0" \
         "--lao 0 --cra 0 --sdd 1e308" "--lao 0 --cra 0 --size 100000,100000 --spacing 1,1" \
         "--geometry g.xml --view -1" "--geometry g.xml --view 99999999999999999999"; do
  # shellcheck disable=SC2086
  refuse roadmap --tree t.json $x -o o.png
done
for f in --lsf --liver-ml --perfused-ml --tumour-ml --tnr --lung-kg --activity-gbq --density; do
  for v in nan inf -1 1e999; do
    timeout 20 "$CARM" plan y90 --device glass --lsf 0.06 --liver-ml 1600 "$f" "$v" >/dev/null 2>err.txt
    rc=$?; ok test "$rc" -eq 1 -o "$rc" -eq 2; ok test -s err.txt
  done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
