#!/usr/bin/env bash
# carm board's case-store subcommands end to end: a patient, labs, state, a
# study, a stored score, a meeting with its quorum, a decision and its
# amendment, and `show`; plus the refusals (exit 2) and that a decision
# cannot be changed through sqlite3 itself.
set -u
CARM=${CARM:-carm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CARM_BOARD_DB="$tmp/case.db" CARM_ACTOR=tester
fails=0
expect() { # DESCRIPTION ACTUAL EXPECTED
  if [ "$2" != "$3" ]; then
    echo "FAIL: $1: got '$2', expected '$3'"; fails=$((fails + 1))
  else
    echo "ok: $1"
  fi
}
b() { "$CARM" board "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
j() { python3 -c "import json; j=json.load(open('$tmp/out')); print($1)"; }

b add-patient HCC-0001;                      expect "add-patient" "$rc" 0
b add-patient HCC-0001;                      expect "duplicate patient rc" "$rc" 2
b add-patient "John Smith";                  expect "name refused as pseudonym" "$rc" 2
b labs HCC-0001 date=2026-11-18 bilirubin=43umol/L albumin=30g/L inr=1.5 sodium=134mmol/L creatinine=1.2mg/dL
expect "labs" "$rc $(j 'len(j["labs"])')" "0 5"
b labs HCC-0001 date=2026-11-18 bilirubin=2.5; expect "lab without unit rc" "$rc" 2
b labs HCC-0001 bilirubin=2.5mg/dL;          expect "lab without date rc" "$rc" 2
b labs HCC-0001 date=2026-11-18 glucose=5mmol/L; expect "unknown lab rc" "$rc" 2
b state HCC-0001 date=2026-11-18 ecog=0 ascites=mild encephalopathy=none portal_hypertension=no vascular_invasion=no extrahepatic=no
expect "state" "$rc" 0
b state HCC-0001 date=2026-11-18 ecog=7;     expect "bad ecog rc" "$rc" 2
b study HCC-0001 date=2026-11-17 modality=CBCT tumour=T1:25:8:8.2 tumour=T2:18
expect "study" "$rc $(j 'j["tumours"]')" "0 2"
b score HCC-0001 date=2026-11-18 child-pugh bilirubin=43umol/L albumin=30g/L inr=1.5 ascites=mild encephalopathy=none
expect "score stored" "$rc $(j 'j["class"]')" "0 B"
b score HCC-0001 date=2026-11-18 meld bilirubin=1mg/dL
expect "score with missing inputs rc" "$rc" 2
b meeting date=2026-11-20 "attendee=Dr A:surgery" "attendee=Dr B:Surgery" "attendee=Dr C:oncology"
expect "meeting without quorum" "$rc $(j 'j["quorum"]')" "0 False"
b meeting date=2026-11-20 "attendee=Dr A:hepatology" "attendee=Dr B:surgery" "attendee=Dr C:interventional radiology"
expect "meeting with quorum" "$rc $(j 'j["meeting"], j["quorum"]')" "0 2 True"
b decide HCC-0001 meeting=1 option=ablation rationale="BCLC A" guideline=ablation
expect "no decision without quorum" "$rc $(grep -c quorum "$tmp/err")" "2 1"
b decide HCC-0001 meeting=2 option=ablation rationale="BCLC A, not a candidate" guideline=ablation follow_up_on=2027-02-20
expect "decide" "$rc $(j 'j["decision"]')" "0 1"
b decide HCC-0001 meeting=2 option=TACE rationale="re-discussed" guideline=ablation amends=1
expect "deviation needs a reason rc" "$rc" 2
b decide HCC-0001 meeting=2 option=TACE rationale="re-discussed" guideline=ablation deviation="abuts the gallbladder" amends=1
expect "amendment" "$rc $(j 'j["decision"], j["amends"]')" "0 2 1"
b show HCC-0001
expect "show" "$rc $(j 'len(j["labs"]), j["decisions"][0]["amended_by"], j["decisions"][0]["chosen_option"], j["scores"][0]["result"]["score"]')" "0 5 2 ablation 8"
# stage: every calculator on the stored case as of a date. As of 2026-11-19
# the labs of 11-18 apply: Child-Pugh 43 umol/L (2) + 30 g/L (2) + INR 1.5
# (1) + mild (2) + none (1) = 8 B; 2 nodules 25 and 18 mm <= 3 cm -> BCLC A
# (Child-Pugh B preserved by default), not a candidate -> ablation. MELD
# needs dialysis and is skipped, saying so.
b stage HCC-0001 date=2026-11-19 transplant_candidate=no
expect "stage" "$rc $(j 'j["results"]["child-pugh"]["score"], j["results"]["bclc"]["stage"], j["results"]["bclc"]["options"][0]["option"], j["results"]["milan"]["within"], j["skipped"]["meld"]')" "0 8 A ablation True missing: dialysis"
# A later lab (bilirubin 4 mg/dL on 12-01: 3 points) counts only as of a later date.
b labs HCC-0001 date=2026-12-01 bilirubin=4mg/dL
b stage HCC-0001 date=2026-11-19 transplant_candidate=no dialysis=no
expect "stage before the new lab" "$rc $(j 'j["results"]["child-pugh"]["score"], j["results"]["meld"]["score"] > 0')" "0 8 True"
b stage HCC-0001 date=2026-12-02 transplant_candidate=no dialysis=no
expect "stage after the new lab" "$rc $(j 'j["results"]["child-pugh"]["score"], j["from"]["bilirubin"]')" "0 9 2026-12-01"
b stage HCC-0001 date=2026-11-01
expect "stage before any data" "$rc $(j 'len(j["results"]), "child-pugh" in j["skipped"]')" "0 0 True"
# guideline=bclc: the recommended options of the latest stored BCLC result
# (as of 12-02: stage A, not a candidate -> ablation).
b decide HCC-0001 meeting=2 option=resection rationale="surgeon's view" guideline=bclc
expect "deviation from the stored BCLC option" "$rc $(grep -c "guideline option 'ablation'" "$tmp/err")" "2 1"
b decide HCC-0001 meeting=2 option=Ablation rationale="as recommended" guideline=bclc
expect "decision following the stored BCLC option" "$rc" 0
b show HCC-0001
expect "guideline resolved and stored" "$(j 'j["decisions"][-1]["guideline_option"]')" "ablation"
b decide HCC-0002 meeting=2 option=x rationale=y guideline=bclc
expect "guideline=bclc for an unknown patient rc" "$rc" 1
CARM_ACTOR= USER= "$CARM" board show HCC-0001 >/dev/null 2>&1
expect "show needs no actor" "$?" 0
b show HCC-9999;                             expect "unknown patient rc" "$rc" 1
b add-patient;                               expect "missing pseudonym rc" "$rc" 2
CARM_BOARD_DB= "$CARM" board add-patient X >/dev/null 2>&1
expect "missing --db rc" "$?" 2
if command -v sqlite3 >/dev/null 2>&1; then
  sqlite3 "$CARM_BOARD_DB" "UPDATE decisions SET chosen_option='resection' WHERE id=1" 2>"$tmp/err"
  rc=$?
  expect "sqlite3 update refused" "$([ $rc -ne 0 ] && echo refused) $(grep -c append-only "$tmp/err")" "refused 1"
fi
python3 - "$CARM_BOARD_DB" <<'PY' >"$tmp/out" 2>&1
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
try:
    db.execute("DELETE FROM decisions WHERE id = 1"); db.commit(); print("deleted")
except sqlite3.DatabaseError as e:
    print("refused", "append-only" in str(e))
print(db.execute("SELECT count(*) FROM audit WHERE actor = 'tester'").fetchone()[0])
PY
# every change has exactly one audit row: patients + labs + states + studies
# + scores + meetings + decisions (tumours and attendees belong to theirs)
print_rows='print(db.execute("SELECT (SELECT count(*) FROM patients) + (SELECT count(*) FROM labs) + (SELECT count(*) FROM clinical_state) + (SELECT count(*) FROM studies) + (SELECT count(*) FROM scores) + (SELECT count(*) FROM meetings) + (SELECT count(*) FROM decisions)").fetchone()[0])'
rows=$(python3 -c "import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); $print_rows" "$CARM_BOARD_DB")
expect "python delete refused; one audit row per change" "$(tr '\n' ' ' <"$tmp/out")" "refused True $rows "
expect "audit rows counted" "$([ "$rows" -gt 30 ] && echo yes)" yes
# Keyed pseudonym, checked against Python's hmac; the same with the key's
# trailing newline and from standard input.
printf 'site-secret-0123456789\n' >"$tmp/key"
want=$(python3 -c "import hmac,hashlib; print('P-'+hmac.new(b'site-secret-0123456789', b'MRN-123456', hashlib.sha256).hexdigest()[:20])")
"$CARM" board pseudonym --key-file "$tmp/key" MRN-123456 >"$tmp/out" 2>"$tmp/err"
expect "pseudonym = HMAC-SHA-256 prefix" "$? $(j 'j["pseudonym"]')" "0 $want"
echo MRN-123456 | "$CARM" board pseudonym --key-file "$tmp/key" - >"$tmp/out" 2>"$tmp/err"
expect "pseudonym from stdin" "$(j 'j["pseudonym"]')" "$want"
b add-patient "$want"; expect "pseudonym accepted by add-patient" "$rc" 0
printf 'short' >"$tmp/short"
"$CARM" board pseudonym --key-file "$tmp/short" MRN-1 >/dev/null 2>&1
expect "short key rc" "$?" 2
echo "$fails failed"
[ "$fails" -eq 0 ]
