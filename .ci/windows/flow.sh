#!/usr/bin/env bash
# The whole flow with kura.exe under Wine, in Windows paths (C:\…):
# keys → pack → inspect → verify → extract → certify → certificate verify,
# and refusals on the way. Fails on any difference from what is expected,
# and on any `\\?\` path in what kura records or prints.
#
# Usage: .ci/windows/flow.sh KURA.EXE BCRYPTPRIMITIVES.DLL
# The DLL is the test-only shim built from bcryptprimitives.c (Wine 8.0
# lacks the real one); it is put beside kura.exe here, nowhere else.
set -euo pipefail

exe=$(realpath "$1")
shim=$(realpath "$2")
work=$(mktemp -d /tmp/kura-wine.XXXXXX)
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
export LANG=C.UTF-8 LC_ALL=C.UTF-8
cleanup() {
  wineserver -k 2>/dev/null || true
  if [ -n "${KURA_FLOW_KEEP:-}" ]; then echo "windows flow: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

fail() { echo "windows flow: $*" >&2; exit 1; }

wine wineboot --init >/dev/null 2>&1 || fail "wineboot --init failed"
wineserver -w

# C:\flow in Windows is $flow here.
flow="$WINEPREFIX/drive_c/flow"
mkdir -p "$flow/bin" "$flow/usb" "$flow/export/検査 結果"
cp "$exe" "$flow/bin/kura.exe"
cp "$shim" "$flow/bin/bcryptprimitives.dll"
printf 'id,name\n1,テスト 太郎\n' > "$flow/export/patients.csv"
printf 'dummy lab values\n' > "$flow/export/検査 結果/2026-01.txt"
head -c 300000 /dev/urandom > "$flow/export/image.bin"

# Runs kura.exe from C:\flow; stdout to $out, stderr to $err, exit code to $rc.
out="$work/out" err="$work/err"
kura() {
  set +e
  (cd "$flow" && wine 'C:\flow\bin\kura.exe' --lang en "$@") >"$out" 2>"$err"
  rc=$?
  set -e
  tr -d '\r' <"$out" >"$out.n" && mv "$out.n" "$out"
  tr -d '\r' <"$err" >"$err.n" && mv "$err.n" "$err"
  if grep -qF '\\?\' "$out" "$err"; then
    cat "$out" "$err" >&2
    fail "kura $1 printed a verbatim (\\\\?\\) path"
  fi
}
ok() {
  kura "$@"
  [ "$rc" = 0 ] || { cat "$out" "$err" >&2; fail "kura $* exited $rc"; }
}
refused() {
  local want=$1 id=$2
  shift 2
  kura "$@"
  [ "$rc" = "$want" ] || { cat "$out" "$err" >&2; fail "kura $* exited $rc, not $want"; }
  grep -qF "$id" "$out" || { cat "$out" "$err" >&2; fail "kura $* did not refuse with $id"; }
}
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$out" "$1"; }
expect() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; }

ok --version
grep -q '^kura ' "$out" || fail "kura --version said: $(cat "$out")"

ok keygen -o 'C:\flow\engineer.key' --comment engineer@vendor.example --no-passphrase
ok keygen -o 'C:\flow\clinic.key' --comment clinic@clinic.example --no-passphrase
eng=$(tr -d '\r\n' <"$flow/engineer.key.pub")
cli=$(tr -d '\r\n' <"$flow/clinic.key.pub")
printf 'engineer@vendor.example %s\nclinic@clinic.example %s\n' "$eng" "$cli" >"$flow/allowed_signers"
printf '%s\n%s\n' "$eng" "$cli" >"$flow/recipients.txt"

ok pack -o 'C:\flow\usb\export.kura' -R 'C:\flow\recipients.txt' -i 'C:\flow\engineer.key' \
  --approval-id APP-2026-001 --approved-by 'Dr. Dummy' --purpose 'fault analysis (dummy)' \
  --delete-by 2099-12-31 'C:\flow\export'
[ -s "$flow/usb/export.kura" ] && [ -s "$flow/usb/export.kura.custody" ] || fail "pack wrote no vault and log"

ok inspect 'C:\flow\usb\export.kura' --json
expect "$(json 'd["file_count"]')" 3 "inspect: files"
expect "$(json 'd["approval"]["id"]')" APP-2026-001 "inspect: approval"

ok verify 'C:\flow\usb\export.kura' -i 'C:\flow\engineer.key' --signers 'C:\flow\allowed_signers'

# Extract with a Windows path spelled with forward slashes and another case:
# recorded as the folder's one plain name.
mkdir -p "$flow/Work"
ok extract 'C:\flow\usb\export.kura' -i 'C:\flow\engineer.key' -C 'c:/FLOW/work/case-1' \
  --signers 'C:\flow\allowed_signers' --json
expect "$(json 'd["destination"]')" 'C:\flow\Work\case-1' "extract: destination"
diff -r "$flow/export" "$flow/Work/case-1/export" || fail "extracted files differ from the export"
# Extracting into a folder that is not empty is refused (exit 9).
refused 9 err-extract-dest-not-empty extract 'C:\flow\usb\export.kura' -i 'C:\flow\engineer.key' \
  -C 'C:\flow\Work\case-1' --signers 'C:\flow\allowed_signers' --json

# A file with another hard link is refused before anything is touched (exit 3).
ln "$flow/Work/case-1/export/patients.csv" "$flow/patients-link.csv"
refused 3 err-certify-hard-link certify 'C:\flow\usb\export.kura' --deleted 'C:\flow\Work\case-1' \
  -i 'C:\flow\engineer.key' -o 'C:\flow\certificate.json' --json
cmp "$flow/export/patients.csv" "$flow/Work/case-1/export/patients.csv" || fail "a refused certify touched a file"
rm "$flow/patients-link.csv"

# The same folder spelled another way is the copy the log recorded.
ok certify 'C:\flow\usb\export.kura' --deleted 'C:\FLOW\work\CASE-1' -i 'C:\flow\engineer.key' \
  -o 'C:\flow\certificate.json' --issuer-name 'Engineer (dummy)' --organisation 'Vendor (dummy)' --json
[ ! -e "$flow/Work/case-1" ] || fail "certify left the extracted copy"
[ ! -e "$flow/usb/export.kura" ] || fail "certify left the vault"

ok certificate verify 'C:\flow\certificate.json' --custody 'C:\flow\usb\export.kura.custody' \
  --signers 'C:\flow\allowed_signers' --json
ok custody verify 'C:\flow\usb\export.kura' --signers 'C:\flow\allowed_signers'

# What was recorded and certified names the paths plainly.
python3 - "$flow/usb/export.kura.custody" "$flow/certificate.json" <<'PY'
import json, sys
log, cert = open(sys.argv[1], encoding="utf-8").read(), open(sys.argv[2], encoding="utf-8").read()
for name, text in (("custody log", log), ("certificate", cert)):
    if "\\\\?\\" in text or "\\\\\\\\?\\\\" in text:
        sys.exit(f"windows flow: the {name} records a verbatim (\\\\?\\) path")
dests = [json.loads(l).get("details", {}).get("destination") for l in log.splitlines() if l.strip()]
dests = [d for d in dests if d]
if dests != ["C:\\flow\\Work\\case-1"] * 2:
    sys.exit(f"windows flow: the custody log records the destinations {dests}")
paths = [i["path"] for i in json.loads(cert)["items"]]
want = ["C:\\flow\\usb\\export.kura", "C:\\flow\\Work\\case-1"]
if sorted(paths) != sorted(want):
    sys.exit(f"windows flow: the certificate names {paths}, not {want}")
seen = [(e["destination"], e["status"]) for e in json.loads(cert)["verification"]["extractions"]]
if seen != [("C:\\flow\\Work\\case-1", "destroyed")]:
    sys.exit(f"windows flow: the certificate accounts for the copies {seen}")
PY
echo "windows flow: passed (keys, pack, inspect, verify, extract, refusals, certify, certificate verify)"
