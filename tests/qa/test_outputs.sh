#!/usr/bin/env bash
# Every command that writes a file, pointed at hostile output paths: a FIFO
# (an atomic rename used to replace device nodes and FIFOs with a regular
# file: `-o /dev/null` as root destroyed /dev/null), a folder, a missing
# folder, and one of its own inputs (which used to be overwritten). Each must
# exit non-zero with a message, leave the target as it was and leave no
# temporary file behind. Then: a file or link already named like a
# temporary output (the writers used "<out>.tmp<pid>", so a link planted there
# redirected the write into another file), and a write that fails half-way
# (file size limit): no victim touched, no temporary left, no output.
set -u
fail=0; pass=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*" >&2; fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
"$CARM" sim phantom --shepp-logan --size 8,8,8 --spacing 4,4,4 -o in.mha 2>/dev/null || exit 1
"$CARM" geometry circular --views 4 -o g.xml >/dev/null || exit 1
printf '{"segments":[{"id":1,"points":[[0,0,0],[10,10,10]]}]}' > t.json
printf '{"shapes":[{"type":"ellipsoid","centre_mm":[0,0,0],"semi_axes_mm":[5,5,5],"value":1}]}' > s.json
printf -- '-1200 0 0 0 0 -1200 0 0 0 0 1 -785\n' > m.txt
mkfifo fifo.mha fifo.png fifo.xml fifo.json
mkdir dir.mha dir.png dir.xml
# refuse: run CMD, expect a non-zero exit, a message, and TARGET unchanged
refuse() {
  local target=$1; shift
  local before=""
  if [ -f "$target" ]; then before=$(md5sum < "$target"); fi
  local kind; kind=$(stat -c %F "$target" 2>/dev/null || echo missing)
  timeout 20 "$@" >/dev/null 2>err.txt
  local rc=$?
  ok test "$rc" -ne 0 -a "$rc" -lt 124
  ok test -s err.txt
  [ "$rc" -ne 0 ] || echo "  accepted: $*" >&2
  ok test "$(stat -c %F "$target" 2>/dev/null || echo missing)" = "$kind"
  if [ -n "$before" ]; then ok test "$(md5sum < "$target")" = "$before"; fi
  ok test -z "$(ls -a | grep -E '\.tmp' || true)"
  rm -f ./*.tmp* 2>/dev/null
}
for ext in mha png xml; do
  case $ext in
    mha) cmds=("$CARM convert in.mha" "$CARM sim phantom --shepp-logan --size 4,4,4 --spacing 1,1,1 -o"
               "$CARM sim project-analytic --shepp-logan --geometry g.xml --size 4,4 --spacing 1,1 -o"
               "$CARM project in.mha --geometry g.xml --size 4,4 --spacing 1,1 -o") ;;
    png) cmds=("$CARM render in.mha -o" "$CARM roadmap --tree t.json --lao 0 --cra 0 -o") ;;
    xml) cmds=("$CARM geometry circular --views 4 -o" "$CARM geometry from-matrices m.txt -o") ;;
  esac
  for c in "${cmds[@]}"; do
    for target in "fifo.$ext" "dir.$ext" "missing/x.$ext"; do
      # shellcheck disable=SC2086
      refuse "$target" $c "$target"
    done
  done
done
refuse fifo.json "$CARM" roadmap --tree t.json --lao 0 --cra 0 -o r.png --json fifo.json
ok test ! -e r.png
# the output is one of the inputs
refuse in.mha "$CARM" convert in.mha in.mha
refuse in.mha "$CARM" convert in.mha ./in.mha
ln -s in.mha link.mha
refuse in.mha "$CARM" convert link.mha in.mha
refuse in.mha "$CARM" project in.mha --geometry g.xml --size 4,4 --spacing 1,1 -o in.mha
"$CARM" sim project-analytic --shepp-logan --geometry g.xml --size 4,4 --spacing 1,1 -o p.mha 2>/dev/null
refuse p.mha "$CARM" project in.mha --geometry g.xml --like p.mha -o p.mha
refuse p.mha "$CARM" sim project-analytic --shepp-logan --geometry g.xml --like p.mha -o p.mha
refuse t.json "$CARM" roadmap --tree t.json --lao 0 --cra 0 -o r.png --json t.json
refuse m.txt "$CARM" geometry from-matrices m.txt -o m.txt
cp in.mha in.png
refuse in.png "$CARM" render in.png -o in.png
# a link planted at the old temporary name "<out>.tmp<pid>" (the shell's pid
# is carm's after exec): the write must not follow it into the victim, and
# must neither move nor remove it
"$CARM" sim phantom --shepp-logan --size 64,64,64 --spacing 1,1,1 -o big.mha 2>/dev/null || exit 1
planted() {
  local out=$1; shift
  printf 'victim\n' > victim.txt
  rm -f "$out"
  sh -c 'ln -s victim.txt "$0.tmp$$"; exec "$@" >/dev/null 2>&1' "$out" "$@"
  local rc=$?
  ok test "$rc" -eq 0
  [ "$rc" -eq 0 ] || echo "  failed: $*" >&2
  ok test "$(cat victim.txt)" = victim
  ok test -f "$out" -a ! -L "$out"
  local links; links=$(find . -maxdepth 1 -type l -name "$out.tmp*" | wc -l)
  ok test "$links" -eq 1
  find . -maxdepth 1 -type l -name "$out.tmp*" -delete
  ok test -z "$(ls -a | grep -E '\.tmp' || true)"
}
planted c.mha "$CARM" convert in.mha c.mha
planted c.nii.gz "$CARM" convert in.mha c.nii.gz
planted r.png "$CARM" render in.mha -o r.png
planted rm.png "$CARM" roadmap --tree t.json --lao 0 --cra 0 -o rm.png
planted rm.json "$CARM" roadmap --tree t.json --lao 0 --cra 0 -o rm2.png --json rm.json
planted g2.xml "$CARM" geometry circular --views 4 -o g2.xml
# a write that fails half-way (file size limit 1 KiB, SIGXFSZ ignored so that
# write() returns EFBIG): exit 1 with a message, no output, no temporary
halfway() {
  local out=$1; shift
  rm -f "$out"
  (trap '' XFSZ; ulimit -f 1; exec "$@" >/dev/null 2>err.txt)
  local rc=$?
  ok test "$rc" -eq 1
  [ "$rc" -eq 1 ] || echo "  exit $rc: $*" >&2
  ok test -s err.txt
  ok test ! -e "$out"
  ok test -z "$(ls -a | grep -E '\.tmp' || true)"
  rm -f ./*.tmp* 2>/dev/null
}
halfway h.mha "$CARM" convert big.mha h.mha
halfway h.nii "$CARM" convert big.mha h.nii
halfway h.nii.gz "$CARM" convert big.mha h.nii.gz
halfway h.png "$CARM" render big.mha -o h.png
halfway h.png "$CARM" roadmap --tree t.json --lao 0 --cra 0 -o h.png
halfway h.xml "$CARM" geometry circular --views 40 -o h.xml
# nothing half-written: a good run still works and leaves no temporary file
"$CARM" convert in.mha out.nii.gz 2>/dev/null; ok test $? -eq 0
ok test -s out.nii.gz
ok test -z "$(ls -a | grep -E '\.tmp' || true)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
