#!/usr/bin/env bash
# carm info / carm convert from the shell: good files convert both ways,
# bad input exits non-zero and leaves no output (nor temporary files), and
# a failed conversion onto an existing file leaves that file intact.
set -u
CARM=${CARM:-./bin/carm}
t=$(mktemp -d /tmp/carm-cli-io-XXXXXX)
trap 'rm -rf "$t"' EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

# A tiny 3x2x1 uint8 MetaImage written by hand.
{ printf 'ObjectType = Image\nNDims = 3\nDimSize = 3 2 1\nElementSpacing = 0.5 2 3\n'
  printf 'Offset = 1 2 3\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n'
  printf '\001\002\003\004\005\377'; } > "$t/good.mha"

out=$("$CARM" info "$t/good.mha") || bad "info on a good file"
grep -q "dims: *3 x 2 x 1" <<<"$out" && ok "info dims" || bad "info dims: $out"
grep -q "range: *1 .. 255" <<<"$out" && ok "info range" || bad "info range: $out"
grep -q "dtype: *uint8" <<<"$out" && ok "info dtype" || bad "info dtype: $out"

for o in a.nii a.nii.gz a.mhd b.mha; do
  "$CARM" convert "$t/good.mha" "$t/$o" || bad "convert to $o"
  o2=$("$CARM" info "$t/$o") || bad "info $o"
  grep -q "range: *1 .. 255" <<<"$o2" && grep -q "spacing: *0.5 2 3" <<<"$o2" \
    && grep -q "dtype: *uint8" <<<"$o2" && ok "round trip via $o" || bad "round trip via $o: $o2"
done
"$CARM" convert "$t/a.nii.gz" "$t/f.mha" --type float32 --compress || bad "convert --type"
grep -q "CompressedData = True" "$t/f.mha" && grep -q "MET_FLOAT" "$t/f.mha" \
  && ok "--type float32 --compress" || bad "--type/--compress not applied"

# Bad input: non-zero exit, no output, no temporary left over.
head -c 60 "$t/good.mha" > "$t/trunc.mha"
head -c -2 "$t/good.mha" > "$t/short.mha"
printf 'garbage' > "$t/junk.nii"
for in in trunc.mha short.mha junk.nii missing.mha; do
  "$CARM" convert "$t/$in" "$t/out_$in.nii" 2> "$t/err"
  rc=$?
  [ $rc -eq 1 ] && ok "convert $in exits 1" || bad "convert $in exit $rc"
  [ -s "$t/err" ] && ok "message: $(cat "$t/err")" || bad "no message for $in"
  [ ! -e "$t/out_$in.nii" ] && ok "no output for $in" || bad "output left for $in"
done
"$CARM" info "$t/trunc.mha" 2>/dev/null && bad "info on a truncated file succeeded" \
  || ok "info on a truncated file fails"

# A failing conversion onto an existing file leaves it untouched.
cp "$t/a.nii" "$t/keep.nii"
"$CARM" convert "$t/trunc.mha" "$t/keep.nii" 2>/dev/null && bad "convert succeeded"
cmp -s "$t/a.nii" "$t/keep.nii" && ok "existing output intact" || bad "existing output changed"
# Write failure (no such folder).
"$CARM" convert "$t/good.mha" "$t/nope/x.nii" 2>/dev/null && bad "write into a missing folder"
ls "$t" | grep -q tmp- && bad "temporary files left: $(ls "$t")" || ok "no temporary files"

# Usage errors exit 2.
"$CARM" convert "$t/good.mha" "$t/x.nii" --type complex 2>/dev/null; [ $? -eq 2 ] \
  && ok "bad --type exits 2" || bad "bad --type exit code"
"$CARM" convert "$t/good.mha" "$t/x.png" 2>/dev/null; [ $? -eq 2 ] \
  && ok "bad suffix exits 2" || bad "bad suffix exit code"
"$CARM" convert "$t/good.mha" 2>/dev/null; [ $? -eq 2 ] && ok "missing OUT exits 2" \
  || bad "missing OUT exit code"
"$CARM" info 2>/dev/null; [ $? -eq 2 ] && ok "info without files exits 2" || bad "info usage"
exit $fail
