#!/usr/bin/env bash
# kura-nightly: tonight's PostgreSQL dump packed into an encrypted, signed
# vault (the dump streamed, never written to disk), every vault of the
# backup folder checked, and those the keep policy does not keep deleted
# with one signed certificate. See docs/BACKUPS.md.
#
# Exit status: 0 when everything passed; otherwise the first failure's
# kura exit code (docs/EXIT-CODES.md): 10 pg_dump failed (no vault is
# left), 6 a vault fails its check, 11 the newest good vault is past its
# delete-by day, and so on. A night whose pack fails stops there: nothing
# is pruned without a new backup.
set -euo pipefail
umask 077

# Settings: environment variables (the systemd unit's Environment=), else
# these defaults. pg_dump reaches the server as libpq says (PGHOST,
# PGUSER, PGPORT…; by default the local socket, as this user).
db=${KURA_DB:-orca}
dir=${KURA_BACKUP_DIR:-/srv/kura-backups}
key=${KURA_KEY:-/etc/kura/nightly.key}
recipients=${KURA_RECIPIENTS:-/etc/kura/recipients.txt}
approval=${KURA_APPROVAL:-/etc/kura/standing-approval.json}
clinic_signers=${KURA_CLINIC_SIGNERS:-/etc/kura/clinic_signers}
# Who may have packed the vaults of the folder and recorded in their logs:
# this server's key, and the keys that check or restore them where they
# lie (docs/BACKUPS.md, section 1). A vault with any other key's record is
# never pruned.
signers=${KURA_SIGNERS:-/etc/kura/allowed_signers}
certificates=${KURA_CERTIFICATES:-${STATE_DIRECTORY:-/var/lib/kura}/certificates}
read -r -a keep <<<"${KURA_KEEP:---keep-last 7 --keep-daily 14 --keep-weekly 8 --keep-monthly 12}"

# The key's passphrase, never in the environment and never in a file of
# our own: the credential systemd hands this service only
# (LoadCredential=kura-passphrase:…, in a private in-memory folder), read
# when kura needs it. Without systemd, set KURA_PASSPHRASE_COMMAND to a
# command that prints it (a secrets manager), or KURA_PASSPHRASE_FILE.
if [[ -n ${CREDENTIALS_DIRECTORY:-} && -z ${KURA_PASSPHRASE_COMMAND:-} ]]; then
    export KURA_PASSPHRASE_FILE="$CREDENTIALS_DIRECTORY/kura-passphrase"
fi

stamp=$(date +%Y%m%dT%H%M%S)
vault="$dir/$db-$stamp.kura"
mkdir -p -- "$certificates"

# 1. Pack: pg_dump's custom format streamed into the vault as the one file
#    DB.dump (kura runs pg_dump itself, no shell; if it fails, kura writes
#    nothing and exits 10).
kura pack -o "$vault" -R "$recipients" -i "$key" \
    --approval "$approval" --clinic-signers "$clinic_signers" \
    --stdin-name "$db.dump" --from-command -- pg_dump -Fc "$db"

status=0
note() { if [[ $status -eq 0 ]]; then status=$1; fi; }

# 2. Check every vault: custody logs, and every byte against its receipt
#    (no key needed). A failure is reported, and pruning still runs: it
#    never deletes a vault that fails its check.
kura list "$dir" --check || note $?

# 3. Prune: one certificate for the run.
kura prune "$dir" "${keep[@]}" --signers "$signers" -i "$key" -o "$certificates/prune-$stamp.json" || note $?

exit "$status"
