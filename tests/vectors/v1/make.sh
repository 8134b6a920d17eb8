#!/usr/bin/env bash
# How the kura v1 test vectors in this folder were made. Kept as the record
# of the exact commands; see README.md. NEVER run it to replace the committed
# vectors: they are fixed on purpose. It writes into OUT, which must not
# exist, so that a new set can be compared with the old.
#
#   tests/vectors/v1/make.sh OUT [KURA]
#
# KURA is the kura binary (default: kura on PATH). Needs root (for a host
# name of its own, through unshare), b3sum and openssl, and writes its work
# in /tmp/kura-vectors.
#
# Everything here is dummy data; the keys are test-only keys, published in
# this repository: never use them for anything real.
set -euo pipefail

out=$1
if [ -n "${2:-}" ]; then kura=$(realpath "$2"); else kura=$(command -v kura); fi

# The signed records name the computer: make it a neutral name.
if [ "$(hostname)" != kura-vectors.invalid ]; then
  exec unshare --uts bash -c 'hostname kura-vectors.invalid && exec bash "$0" "$@"' "$0" "$out" "$kura"
fi

[ ! -e "$out" ] || { echo "$out exists: refusing to touch it" >&2; exit 2; }
# The signed records hold absolute paths (where a copy was extracted, what a
# certificate destroyed): a fixed folder keeps them the same on every run.
work=/tmp/kura-vectors
[ ! -e "$work" ] || { echo "$work exists: remove it first" >&2; exit 2; }
mkdir -p "$out" "$work"
out=$(realpath "$out")

export LC_ALL=C KURA_PASSPHRASE_FILE= TZ=UTC
unset KURA_LEDGER KURA_NOW
k() { "$kura" "$@"; }
at() { KURA_NOW=$1 "$kura" "${@:2}"; }

cd "$work"

# --- Keys (test only), trust list, recipients -------------------------------
k keygen -o test-only-engineer.key --no-passphrase \
  -C engineer.test-only-never-use@kura.invalid
k keygen -o test-only-clinic.key --no-passphrase \
  -C clinic.test-only-never-use@kura.invalid
{
  echo "engineer.test-only-never-use@kura.invalid $(cut -d' ' -f1,2 test-only-engineer.key.pub)"
  echo "clinic.test-only-never-use@kura.invalid $(cut -d' ' -f1,2 test-only-clinic.key.pub)"
} > allowed_signers
cat test-only-engineer.key.pub test-only-clinic.key.pub > recipients.txt

# --- The dummy export -------------------------------------------------------
# f PATH MODE MTIME CONTENT
f() {
  mkdir -p "$(dirname "$1")"
  printf '%s' "$4" > "$1"
  chmod "$2" "$1"
  touch -h -d "@$3" "$1"
}
mkdir -p data/sub/deeper
f data/README.txt 644 1700000000 $'Dummy export for kura\'s test vectors. No patient data.\n'
f data/受付一覧_ダミー.csv 644 1700000060 $'id,name,visit\n00000001,ダミー 太郎,2026-03-02\n00000002,ダミー 花子,2026-03-03\n'
f data/empty.txt 640 1700000120 ''
f data/sub/run.sh 755 1700000180 $'#!/bin/sh\necho dummy\n'
f data/sub/private.txt 600 1700000240 $'dummy private note\n'
f data/sub/deeper/dump.sql 644 1700000300 $'-- dummy dump, no real patients\nSELECT 1;\n'
ln -s sub/deeper/dump.sql data/latest.sql
touch -h -d @1700000360 data/latest.sql
touch -d @1700000400 data/sub/deeper
chmod 750 data/sub
touch -d @1700000420 data/sub
touch -d @1700000480 data
f approval-dummy.txt 644 1700000500 $'DUMMY written approval A-TEST-0001. Test data only.\n'

approval=(--approval-id A-TEST-0001 --approved-by "院長 ダミー（テスト用）" \
  --purpose "テスト用ベクタ（ダミー）" --delete-by 2099-12-31)

# --- The single vault: packed, handed over, verified ------------------------
mkdir stick
at 2026-04-01T10:00:00+09:00 pack -o stick/export.kura -R recipients.txt \
  -i test-only-engineer.key "${approval[@]}" --approval-doc approval-dummy.txt data
at 2026-04-01T10:05:00+09:00 custody add stick/export.kura --event handover \
  --note "dummy USB stick TEST-1" -i test-only-clinic.key
# The clinic keeps its copy of the log at hand-over.
cp stick/export.kura.custody clinic-copy.kura.custody
at 2026-04-01T10:30:00+09:00 verify stick/export.kura -i test-only-engineer.key \
  --signers allowed_signers
cp stick/export.kura stick/export.kura.custody "$out/"

# --- The deletion certificate: extract, then certify the deletion ----------
at 2026-04-02T09:00:00+09:00 extract stick/export.kura -i test-only-engineer.key \
  --signers allowed_signers -C work
at 2026-04-03T17:00:00+09:00 certify stick/export.kura --deleted work \
  -i test-only-engineer.key -o export.cert.json
cp export.cert.json export.cert.json.sig clinic-copy.kura.custody "$out/"

# --- The split vault: 64 KiB volumes -------------------------------------
# Incompressible dummy bytes, so that the vault needs two volumes.
mkdir -p split-data
head -c 63900 /dev/zero | openssl enc -aes-128-ctr -nosalt -pbkdf2 \
  -pass pass:kura-test-vectors 2>/dev/null > split-data/noise.bin
chmod 644 split-data/noise.bin
touch -d @1700000600 split-data/noise.bin
f split-data/note.txt 644 1700000660 $'Dummy bytes for the split test vault. No patient data.\n'
touch -d @1700000700 split-data
at 2026-04-01T11:00:00+09:00 pack -o split.kura --split 64K -R recipients.txt \
  -i test-only-engineer.key "${approval[@]}" split-data
at 2026-04-01T11:30:00+09:00 verify split.kura -i test-only-clinic.key \
  --signers allowed_signers
cp split.kura.* split.kura-custody "$out/"

cp test-only-engineer.key test-only-engineer.key.pub test-only-clinic.key \
  test-only-clinic.key.pub allowed_signers recipients.txt approval-dummy.txt "$out/"

# --- Expected listings: KIND MODE MTIME SIZE BLAKE3-OR-TARGET PATH ----------
# of the folder NAME in the working folder, paths starting with NAME.
listing() {
  find "$1" | LC_ALL=C sort | while IFS= read -r p; do
    if [ -L "$p" ]; then
      printf 'link - - - %s %s\n' "$(readlink "$p")" "$p"
    elif [ -d "$p" ]; then
      printf 'dir %s %s - - %s\n' "$(stat -c %a "$p")" "$(stat -c %Y "$p")" "$p"
    else
      printf 'file %s %s %s %s %s\n' "$(stat -c %a "$p")" "$(stat -c %Y "$p")" \
        "$(stat -c %s "$p")" "$(b3sum --no-names "$p")" "$p"
    fi
  done
}
listing data > "$out/export.listing"
listing split-data > "$out/split.listing"

cd /
rm -rf "$work"
