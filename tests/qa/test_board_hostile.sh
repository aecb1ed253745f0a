#!/usr/bin/env bash
# carm board with hostile input: impossible calendar dates (2026-02-30 used to
# be stored), NaN/inf/huge/empty numbers in every calculator key, corrupt or
# truncated case stores, a store path that is a folder, and a sheet written
# over its own store. Each must exit 1 or 2 with a message, never crash, and
# never change the store.
set -u
fail=0; pass=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*" >&2; fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export CARM_BOARD_DB="$tmp/case.db" CARM_ACTOR=qa
refuse() { # CMD...: non-zero (1 or 2) with a message
  timeout 20 "$CARM" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  ok test "$rc" -eq 1 -o "$rc" -eq 2
  ok test -s "$tmp/err"
  [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ] || echo "  rc $rc: $*" >&2
}
accept() {
  timeout 20 "$CARM" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  ok test "$rc" -eq 0
  [ "$rc" -eq 0 ] || echo "  rc $rc: $* ($(cat "$tmp/err"))" >&2
}
accept board add-patient HCC-0001
for d in 2026-02-30 2027-02-29 2026-04-31 2026-06-31 2026-13-01 2026-00-10 2026-01-00 \
         2026-1-1 2026-11-18T00 "" 9999-99-99; do
  refuse board labs HCC-0001 "date=$d" bilirubin=1mg/dL
done
accept board labs HCC-0001 date=2028-02-29 bilirubin=1mg/dL
accept board labs HCC-0001 date=2026-12-31 bilirubin=1mg/dL
sum() { md5sum < "$CARM_BOARD_DB"; }
before=$(sum)
meld=(bilirubin=1mg/dL inr=1 creatinine=1mg/dL sodium=140mmol/L albumin=3.5g/dL sex=male dialysis=no)
for key in bilirubin inr creatinine sodium albumin; do
  for v in nan inf -inf 1e308 1e999 -1 "" abc 0x10 NaNmg/dL 1e308mg/dL -5mg/dL; do
    refuse board calc meld3 "${meld[@]}" "$key=$v"
  done
done
for v in nan inf 1e308 -1 ",,," "1,,2" "$(printf '1,%.0s' {1..3000})1"; do
  refuse board calc milan "sizes=$v" vascular_invasion=no extrahepatic=no
  refuse board calc recist "baseline=$v" nadir=10 current=10 new_lesion=no
done
refuse board labs HCC-0001 date=2026-11-18 bilirubin=nanmg/dL
refuse board labs HCC-0001 date=2026-11-18 bilirubin=1e308mg/dL
refuse board study HCC-0001 date=2026-11-17 modality=CBCT tumour=T1:nan:8:8.2
refuse board study HCC-0001 date=2026-11-17 modality=CBCT tumour=::::::
refuse board decide HCC-0001 meeting=99999999999999999999 option=x rationale=y guideline=x
refuse board show nobody
ok test "$(sum)" = "$before"
# the sheet must not overwrite its own store
refuse board sheet HCC-0001 -o "$CARM_BOARD_DB"
ok test "$(sum)" = "$before"
refuse board sheet HCC-0001 -o "$tmp/missing/x.pdf"
mkdir "$tmp/d.pdf"; refuse board sheet HCC-0001 -o "$tmp/d.pdf"
ok test -d "$tmp/d.pdf"
# the sheet's JSON answer stays JSON whatever the output name holds
for name in 'q"uote\\back.pdf' $'\xffbyte.pdf'; do
  "$CARM" board sheet HCC-0001 -o "$tmp/$name" >"$tmp/out" 2>"$tmp/err"
  ok test $? -eq 0
  ok python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$tmp/out"
done
# corrupt and truncated stores: refused, left as they were
head -c 1000 "$CARM_BOARD_DB" > "$tmp/trunc.db"
head -c 4096 "$CARM_BOARD_DB" > "$tmp/half.db"
printf 'garbage%.0s' {1..200} > "$tmp/garbage.db"
for db in trunc half garbage; do
  f="$tmp/$db.db"; b=$(md5sum < "$f")
  CARM_BOARD_DB="$f" refuse board show HCC-0001
  CARM_BOARD_DB="$f" refuse board add-patient HCC-0002
  ok test "$(md5sum < "$f")" = "$b"
done
mkdir "$tmp/dir.db"
CARM_BOARD_DB="$tmp/dir.db" refuse board add-patient HCC-0003
CARM_BOARD_DB="$tmp/none/x.db" refuse board add-patient HCC-0003
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
