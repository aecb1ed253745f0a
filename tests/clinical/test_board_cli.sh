#!/usr/bin/env bash
# carm board calc: one JSON object per calculator on stdout, exit 2 and a
# message listing the expected keys on bad or missing keys. Expected values
# are the hand calculations of the C vignettes (test_*.c in this folder).
set -u
CARM=${CARM:-carm}
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run NAME ARGS...: stdout to $tmp/out, stderr to $tmp/err, rc in $rc
run() {
  "$CARM" board calc "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
}

# field EXPR: evaluate a python expression on the JSON object `j`
field() {
  python3 -c "import json,sys; j=json.load(open('$tmp/out')); print($1)"
}

expect() { # expect DESCRIPTION ACTUAL EXPECTED
  if [ "$2" != "$3" ]; then
    echo "FAIL: $1: got '$2', expected '$3'"
    echo "  stdout: $(head -c 400 "$tmp/out")"
    echo "  stderr: $(head -c 400 "$tmp/err")"
    fails=$((fails + 1))
  else
    echo "ok: $1"
  fi
}

# Child-Pugh, SI units: 43 umol/L (2) + 30 g/L (2) + INR 1.5 (1) + mild (2) + none (1) = 8, B
run child-pugh bilirubin=43umol/L albumin=30g/L inr=1.5 ascites=mild encephalopathy=none
expect "child-pugh rc" "$rc" 0
expect "child-pugh score" "$(field 'j["score"]')" 8
expect "child-pugh class" "$(field 'j["class"]')" B
expect "child-pugh albumin converted" "$(field 'j["inputs"]["albumin"]["used"]')" 3
expect "child-pugh albumin used unit" "$(field 'j["inputs"]["albumin"]["used_unit"]')" g/dL
expect "child-pugh has rule" "$(field '"Child-Pugh" in j["rule"]')" True
expect "child-pugh has driver" "$(field '"bilirubin" in j["driver"]')" True
expect "one JSON object" "$(python3 -c "import json; d=json.JSONDecoder(); s=open('$tmp/out').read(); o,i=d.raw_decode(s); print(type(o).__name__, s[i:].strip()=='')")" "dict True"
# Cholestatic option: 67 umol/L scores 1 instead of 3 -> 5+... = 6 (A)
run child-pugh bilirubin=67umol/L albumin=40g/L inr=1.0 ascites=none encephalopathy=grade1-2 bilirubin_table=cholestatic
expect "child-pugh cholestatic" "$(field 'j["score"], j["class"]')" "6 A"

# MELD family: bili 2.5, INR 1.6, Cr 1.2 -> MELD 17, MELD-Na(130) 22, MELD 3.0 (male, alb 2.8) 22
args="bilirubin=2.5mg/dL inr=1.6 creatinine=1.2mg/dL sodium=130mmol/L albumin=28g/L sex=male dialysis=no"
run meld $args
expect "meld" "$(field 'j["score"]')" 17
expect "meld ignores sodium" "$(field '"sodium" in j["ignored"]')" True
run meld-na $args
expect "meld-na" "$(field 'j["score"]')" 22
run meld3 $args
expect "meld3" "$(field 'j["score"]')" 22
run meld3 bilirubin=42.75umol/L inr=1.6 creatinine=106.08umol/L sodium=130mEq/L albumin=2.8g/dL sex=female dialysis=no
expect "meld3 SI female" "$(field 'j["score"]')" 23

# ALBI: 17.1 umol/L, 40 g/L -> -2.586, grade 2
run albi bilirubin=17.1umol/L albumin=40g/L
expect "albi grade" "$(field 'j["grade"]')" 2
expect "albi score" "$(field 'round(j["score"], 4)')" -2.5862

# Criteria
run milan sizes=2.1,3.0 vascular_invasion=no extrahepatic=no
expect "milan within" "$(field 'j["within"]')" True
run milan sizes=5.5 vascular_invasion=no extrahepatic=no
expect "milan beyond" "$(field 'j["within"]')" False
run ucsf sizes=5.5 vascular_invasion=no extrahepatic=no
expect "ucsf within" "$(field 'j["within"]')" True
run up-to-seven sizes=20,20,20,20,20mm vascular_invasion=no extrahepatic=no
expect "up-to-seven mm suffix" "$(field 'j["within"], j["largest_plus_count"]')" "True 7"
run ttv-afp sizes=6.1 afp=10ng/mL vascular_invasion=no extrahepatic=no
expect "ttv-afp spheres" "$(field 'j["within"]')" False

# BCLC
run bclc sizes=2.5,1.8 ecog=0 child_pugh=A vascular_invasion=no extrahepatic=no transplant_candidate=no
expect "bclc A" "$(field 'j["stage"], j["options"][0]["option"]')" "A ablation"
run bclc sizes=1.8 ecog=0 bilirubin=1.0mg/dL albumin=40g/L inr=1.0 ascites=none encephalopathy=none vascular_invasion=no extrahepatic=no
expect "bclc 0 from labs" "$(field 'j["stage"], j["child_pugh_class"]')" "0 A"
run bclc sizes=3 ecog=0 child_pugh=A vascular_invasion=yes extrahepatic=no
expect "bclc C" "$(field 'j["stage"], len(j["options"])')" "C 5"
run bclc sizes=3 ecog=3 child_pugh=A vascular_invasion=no extrahepatic=no
expect "bclc D" "$(field 'j["stage"]')" D
run bclc sizes=5,3,2,1 ecog=0 child_pugh=A vascular_invasion=no extrahepatic=no transplant_candidate=no pattern=well-defined
expect "bclc B TACE" "$(field 'j["stage"], j["options"][0]["option"]')" "B TACE"

# RECIST / mRECIST
run recist baseline=100 nadir=100 current=70 new_lesion=no
expect "recist PR at -30%" "$(field 'j["response"]')" PR
run recist baseline=100 nadir=20 current=24 new_lesion=no
expect "recist 5 mm rule" "$(field 'j["response"]')" PR
run recist baseline=80 nadir=80 current=8 new_lesion=no all_targets_gone=yes
expect "recist CR with a small node left" "$(field 'j["response"]')" CR
run mrecist baseline=100 nadir=20 current=24 new_lesion=no enhancing=yes
expect "mrecist PD" "$(field 'j["response"]')" PD
run mrecist baseline=10cm nadir=10cm current=0 new_lesion=no enhancing=no
expect "mrecist CR" "$(field 'j["response"]')" CR

# Errors: exit 2, nothing on stdout, a message naming what is expected
run meld bilirubin=2.5mg/dL inr=1.6 creatinine=1.2mg/dL dialysis=no foo=1
expect "unknown key rc" "$rc" 2
expect "unknown key message" "$(grep -c "unknown key 'foo'" "$tmp/err")" 1
expect "expected keys listed" "$(grep -c "expected keys: bilirubin inr creatinine" "$tmp/err")" 1
expect "no stdout on error" "$(wc -c <"$tmp/out")" 0
run meld bilirubin=2.5mg/dL inr=1.6 dialysis=no
expect "missing key rc" "$rc" 2
expect "missing key named" "$(grep -c "missing input creatinine" "$tmp/err")" 1
run meld bilirubin=2.5 inr=1.6 creatinine=1.2mg/dL dialysis=no
expect "unit required rc" "$rc" 2
run albi bilirubin=-3mg/dL albumin=40g/L
expect "impossible value rc" "$rc" 2
run child-pugh bilirubin=2mg/dL albumin=30g/L inr=1.5 ascites=lots encephalopathy=none
expect "bad word rc" "$rc" 2
expect "bad word lists choices" "$(grep -c "none|mild|moderate" "$tmp/err")" 1
run recist baseline=100 nadir=50 current=40 new_lesion=maybe
expect "bad flag rc" "$rc" 2
run recist baseline=100 baseline=90 nadir=50 current=40 new_lesion=no
expect "repeated key rc" "$rc" 2
run bclc sizes=3 ecog=0 child_pugh=A vascular_invasion=no extrahepatic=no
expect "bclc branch needs portal_hypertension" "$rc $(grep -c "missing input portal_hypertension" "$tmp/err")" "2 1"
run nosuch a=1
expect "unknown calculator rc" "$rc" 2
run milan sizes
expect "not key=value rc" "$rc" 2
"$CARM" board >/dev/null 2>&1
expect "board without subcommand rc" "$?" 2
"$CARM" board frobnicate >/dev/null 2>&1
expect "unknown subcommand rc" "$?" 2
"$CARM" board --help >"$tmp/out" 2>&1
expect "help rc" "$?" 0
expect "help has example" "$(grep -c 'carm board calc child-pugh' "$tmp/out")" 1

echo "$fails failed"
[ "$fails" -eq 0 ]
