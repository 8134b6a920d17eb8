#!/usr/bin/env bash
# How the kura v1 vector of a vault packed under the clinic's signed
# approval was made (signed-approval.*), beside the older vectors of
# make.sh and with the same test-only keys. Kept as the record of the exact
# commands. NEVER run it to replace the committed vectors: they are fixed on
# purpose. It writes into OUT, which must not exist.
#
#   tests/vectors/v1/make-signed-approval.sh OUT [KURA]
#
# KURA is the kura binary (default: kura on PATH). Needs root (for a host
# name of its own, through unshare) and b3sum, and works in
# /tmp/kura-vectors-approval.
#
# Everything here is dummy data; the keys are test-only keys, published in
# this repository: never use them for anything real.
set -euo pipefail

out=$1
if [ -n "${2:-}" ]; then kura=$(realpath "$2"); else kura=$(command -v kura); fi
here=$(cd "$(dirname "$0")" && pwd)

if [ "$(hostname)" != kura-vectors.invalid ]; then
  exec unshare --uts bash -c 'hostname kura-vectors.invalid && exec bash "$0" "$@"' "$0" "$out" "$kura"
fi

[ ! -e "$out" ] || { echo "$out exists: refusing to touch it" >&2; exit 2; }
work=/tmp/kura-vectors-approval
[ ! -e "$work" ] || { echo "$work exists: remove it first" >&2; exit 2; }
mkdir -p "$out" "$work"
out=$(realpath "$out")

export LC_ALL=C KURA_PASSPHRASE_FILE= TZ=UTC
unset KURA_LEDGER KURA_NOW
at() { KURA_NOW=$1 "$kura" "${@:2}"; }

cd "$work"
for f in test-only-engineer.key test-only-engineer.key.pub test-only-clinic.key \
  test-only-clinic.key.pub recipients.txt allowed_signers; do
  cp "$here/$f" .
done
chmod 600 test-only-engineer.key test-only-clinic.key

# The clinic's signers file: its key, for approvals only.
echo "clinic namespaces=\"kura-approval\" $(cut -d' ' -f1,2 test-only-clinic.key.pub)" > clinic_signers

# --- The dummy export -------------------------------------------------------
f() {
  mkdir -p "$(dirname "$1")"
  printf '%s' "$4" > "$1"
  chmod "$2" "$1"
  touch -h -d "@$3" "$1"
}
f approved-data/README.txt 644 1700001000 $'Dummy export packed under a signed approval. No patient data.\n'
f approved-data/受付一覧_ダミー.csv 644 1700001060 $'id,name,visit\n00000001,ダミー 太郎,2026-03-02\n'
touch -d @1700001100 approved-data

# --- The clinic signs; the engineer packs under it, the clinic verifies -----
at 2026-03-31T09:00:00+09:00 approve -o signed-approval.json -i test-only-clinic.key \
  --approval-id A-TEST-0002 --approved-by "院長 ダミー（テスト用）" --role 院長 \
  --clinic "ダミー医院（テスト用）" --clinic-code 0000000000 \
  --engineer test-only-engineer.key.pub --recipient test-only-clinic.key.pub \
  --purpose "テスト用ベクタ（ダミー）" --scope "ダミーの受付一覧" \
  --delete-by 2099-12-31 --medium "ダミーの暗号化USBメモリ" --loss-plan "ダミー: 院長に即時報告" \
  --max-size 1M --max-files 10
at 2026-04-01T12:00:00+09:00 pack -o signed-approval.kura -R recipients.txt \
  -i test-only-engineer.key --approval signed-approval.json \
  --clinic-signers clinic_signers approved-data
at 2026-04-01T12:30:00+09:00 verify signed-approval.kura -i test-only-clinic.key \
  --signers allowed_signers
cp signed-approval.json signed-approval.json.sig clinic_signers \
  signed-approval.kura signed-approval.kura.custody "$out/"

# --- Expected listing (as make.sh writes them) ------------------------------
find approved-data | LC_ALL=C sort | while IFS= read -r p; do
  if [ -d "$p" ]; then
    printf 'dir %s %s - - %s\n' "$(stat -c %a "$p")" "$(stat -c %Y "$p")" "$p"
  else
    printf 'file %s %s %s %s %s\n' "$(stat -c %a "$p")" "$(stat -c %Y "$p")" \
      "$(stat -c %s "$p")" "$(b3sum --no-names "$p")" "$p"
  fi
done > "$out/signed-approval.listing"

cd /
rm -rf "$work"
