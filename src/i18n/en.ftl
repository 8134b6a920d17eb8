# kura messages, English. Every id here must also be in ja.ftl.

## errors
err-internal = internal error: { $detail }
err-usage = the command line is not valid ({ $detail }); see kura --help
err-interrupted = interrupted; partial output was removed
err-io = cannot read or write { $path }: { $detail }
err-io-not-found = not found: { $path }
err-io-permission = permission denied: { $path }
err-io-full = the disk is full while writing { $path }; nothing partial was kept
err-io-exists = { $path } already exists
err-output-exists = { $path } already exists; kura never overwrites it (use --force to replace it)
err-file-too-large = { $path } is larger than kura accepts here ({ $max } bytes)
err-not-utf8 = { $path } is not UTF-8 text
err-approval-missing = the clinic's written approval is incomplete: add { $flag } as the approval states
err-delete-by-format = --delete-by must be a date as YYYY-MM-DD, not "{ $value }"
err-delete-by-past = --delete-by { $date } is in the past (today is { $today })
err-no-recipients = no recipients: give at least one -r RECIPIENT or -R FILE
err-no-inputs = nothing to pack: give at least one file or folder
err-recipient-invalid = not a valid recipient ({ $origin }): use an "ssh-ed25519 …" public key line or an "age1…" key
err-recipient-not-ed25519 = only Ed25519 SSH keys can be recipients ({ $origin })
err-need-identity = give your key with -i KEY
err-need-ssh-key = this needs an OpenSSH Ed25519 private key with -i (age identities cannot sign)
err-key-unreadable = { $path } is not an OpenSSH private key or age identity file
err-key-not-ed25519 = { $path } is a { $algorithm } key; kura uses Ed25519 keys only
err-key-permissions = the private key { $path } can be read by others (mode { $mode }); fix it with: chmod 600 { $path }
err-passphrase-unavailable = the key needs a passphrase and there is no terminal to ask on: use --passphrase-file FILE or set KURA_PASSPHRASE_FILE
err-passphrase-empty = the passphrase is empty
err-passphrase-mismatch = the two passphrases differ
err-passphrase-not-utf8 = the passphrase file { $path } is not UTF-8 text
err-passphrase-read = could not read the passphrase: { $detail }
err-passphrase-wrong = wrong passphrase for { $path }
err-special-file = { $path } is a device file, socket or FIFO; kura packs only files, folders and links
err-link-outside = { $path } is a symbolic link pointing outside what is being packed; refused
err-reserved-name = { $path }: the name ".kura" is reserved for kura's own records
err-duplicate-input = two inputs have the same name "{ $name }"; rename or pack them in a folder
err-input-no-name = { $path } has no name to store it under
err-name-not-utf8 = the name of { $path } is not valid UTF-8
err-name-unusable = the name of { $path } cannot be stored safely
err-file-changed = { $path } changed while it was being packed; pack again when nothing is writing to it
err-no-matching-key = none of your keys can open this vault: it was not addressed to you (wrong key)
err-vault-damaged = the vault is damaged or was altered ({ $detail }); nothing was extracted
err-manifest-mismatch = the vault's contents do not match its signed manifest at "{ $what }"; nothing was extracted
err-receipt-mismatch = the vault does not match its signed receipt ({ $what } differs): it was altered, truncated or replaced
err-receipt-invalid = the receipt in the custody log is unreadable
err-format-version = this vault uses format version { $version }, which this kura does not know
err-signature-invalid = the { $what } signature is not valid
err-bad-public-key = a public key in the record is unreadable
err-signer-not-allowed = the { $what } was signed by { $key }, which is not in the allowed signers file
err-signers-syntax = { $path } line { $line } is not a valid allowed_signers entry

## The clinic's signed approval (kura approve, pack --approval)
err-approval-invalid = the approval file is not a valid kura approval ({ $reason }); ask the clinic for the file kura approve wrote
err-approval-mismatch = the vault's approval fields do not match the clinic's signed approval { $id }: the vault or its log was altered
err-approval-untrusted = approval { $id } is not signed by a key in the clinic signers file; ask the clinic for its signers file (--clinic-signers) or a new approval
err-approval-not-engineer = approval { $id } does not let { $key } pack; ask the clinic to add this key to the approval
err-approval-recipient-missing = approval { $id } requires the vault to be encrypted to { $recipients }; add them with -r
err-approval-expired = approval { $id } ran out on { $date }; ask the clinic for a new approval
err-approval-over-limit = approval { $id } allows at most { $limit } { $what }, this export has { $got }; pack less or ask the clinic for a new approval

## Whether the clinic signed a vault's approval (shown by inspect, verify, extract, custody show, certificate verify, ledger, incident)
msg-consent-declared = declared by the packer, not signed by the clinic (the approval id, approver, purpose and delete-by were typed when packing)
msg-consent-signed-trusted = signed by the clinic ({ $clinic }, key { $key }), trusted as "{ $principal }" per --clinic-signers
msg-consent-signed-untrusted = signed by a key that is NOT in your clinic signers file ({ $clinic }, key { $key }): do not treat it as the clinic's approval
msg-consent-signed-unchecked = signed by the clinic ({ $clinic }, key { $key }), signer not checked (give --clinic-signers FILE to check it is the clinic's key)
msg-consent-label = Approval
msg-html-consent = Clinic's signature
msg-html-consent-signed = signed with a key in the clinic's name ({ $clinic }, key { $key }); compare the key with the one the clinic keeps
msg-html-consent-broken = the signed approval does not match the fields above: treat this certificate as altered
msg-consent-clinic-code = { $name }, medical institution code { $code }
msg-consent-approver = Approved by: { $name } ({ $role })
msg-consent-scope = Scope: { $scope }
msg-consent-disposal-delete = At the end: delete the data by { $date }
msg-consent-disposal-return = At the end: return the data by { $date }
help-arg-clinic-signers = The clinic signers file (OpenSSH allowed_signers, namespace kura-approval): say whether the approval was signed by the clinic's key

err-unsafe-path = the archive tries to write "{ $path }" ({ $why }); refused, nothing was extracted
err-dest-link = { $path } in the destination is a symbolic link; kura will not write through it
err-dest-exists = { $path } already exists in the destination (use --force to replace files)
err-custody-missing = { $vault_missing ->
    [yes] there is no vault { $vault } (nor its custody log { $path }): check the vault's name and folder
   *[other] the custody log { $path } is missing: keep it beside the vault, under the vault's name with .custody added (verify, extract, inspect and certify also take --custody FILE)
}
err-custody-empty = the custody log is empty
err-custody-bad-record = the custody log is broken at record #{ $n }: { $why }
err-custody-event = unknown event "{ $event }"; use one of: { $events }
err-custody-event-by-kura = "{ $event }" is recorded by kura itself, by the operation it names, never by hand; custody add takes what a person attests: { $events }
err-custody-after-certified = the custody log records a certified deletion or return (record #{ $n }), so it takes no "{ $event }" record after it (after a deletion only notes; after a return only the medium going back, the clinic checking it, a loss or notes). { $path }
err-custody-unwritable = the custody log { $path } cannot be written ({ $detail }): kura records every plaintext copy, so nothing was extracted. Copy the vault and its log to a writable folder and extract from there
err-custody-busy = another kura command is working with the custody log { $path } (an extraction or a certification is under way); try again when it has finished
err-extract-needs-signer = extracting needs an OpenSSH key that can sign the custody record (-i): an age identity alone can decrypt but not record the copy, and kura makes no plaintext copy it cannot record
err-extract-dest-not-empty = the destination { $path } is not empty: extract into a new or empty folder, so that the copy can later be destroyed whole and nothing else with it
err-extract-dest-changed = { $path } appeared in the destination while extracting; nothing was replaced and nothing was extracted. Extract into a new or empty folder
err-certify-extraction-running = an extraction into { $path } is still under way: let it finish, then certify
err-extract-dest-link = the destination { $path } is a symbolic link: extract into a real folder of your own (kura records where the plaintext goes, and a link could lead it elsewhere)
err-extract-dest-not-folder = the destination { $path } is not a folder: give a new or empty folder
err-extract-dest-shared = the destination { $path } can be written by other users (or belongs to one; mode { $mode }): extract into a folder only you can write, e.g. one made with: mkdir -m 700 FOLDER
err-extract-dest-mount = the destination { $path } is a mount point: extract into a folder inside it, so that the copy can be destroyed later
err-extract-dest-parent-shared = anyone may write in { $path }, the folder that holds the destination, so the destination could be swapped while it fills: extract into a folder under one only you can write
err-custody-not-beside = { $path } is not the custody log beside the vault ({ $beside }): what is done with the vault is recorded in its own log; leave out --custody
err-certify-copy-moved = the folder at { $path } is not the one the copy recorded at #{ $n } went into (it was moved, replaced or unmounted): find that copy, put it back or destroy it, then certify
err-custody-note-long = the note is too long (at most { $max } characters)
err-demo-step = the demo step "{ $step }" failed: { $detail }
err-demo-keep-exists = { $dir } already exists and is not an empty folder: give --keep a new or empty folder

## messages
msg-error-prefix = error
msg-yes = yes
msg-no = no
msg-passphrase-prompt = Passphrase for { $path }: 
msg-new-passphrase = New passphrase: 
msg-new-passphrase-again = Same passphrase again: 
msg-keygen-done = Key written to { $path } (public key { $path }.pub), fingerprint { $fingerprint }
msg-pack-done = Packed { $files } files ({ $size }) into { $vault } ({ $csize } encrypted)
msg-pack-custody = Custody log started: { $custody } — keep it with the vault
msg-verified = OK: vault { $id } checked: { $files } files ({ $size }); every hash, the manifest signature and the receipt match
msg-signer-trusted = Signed by "{ $principal }" as listed in the allowed signers (key { $key })
msg-signer-unchecked = Signed by { $key } — NOT checked against a trust list (give --signers ALLOWED_SIGNERS to check it)
msg-extracted = Files placed in { $dest }
msg-extract-reminder = Plaintext now exists there: delete it when done and certify with kura certify
msg-custody-added = Custody record #{ $n } ({ $event }) added
msg-custody-ok = OK: the custody log of vault { $id } is intact ({ $n } records, every signature and link valid)
msg-custody-unchecked = The signers were not checked against a trust list (give --signers FILE)
msg-col-time = time
msg-col-event = event
msg-col-who = who
msg-col-where = where
msg-col-note = note
msg-f-vault-id = vault id
msg-f-created = created
msg-f-packer = packed by
msg-f-approval-id = approval id
msg-f-approved-by = approved by
msg-f-purpose = purpose
msg-f-delete-by = delete by
msg-f-overdue = overdue
msg-f-files = files
msg-f-ciphertext = ciphertext
msg-f-vault-present = vault present
msg-f-custody = custody records
msg-f-recipient = recipient
msg-demo-intro = kura demo on dummy data (no real patient data) in { $dir }; the commands below run in that folder, which is removed at the end (to keep it: kura demo --keep DIR)
msg-demo-done = Demo finished: every step succeeded.
msg-demo-intro-kept = kura demo on dummy data (no real patient data) in { $dir }; the commands below run in that folder, which stays after the demo
msg-demo-removed = The demo's folder { $dir } has been removed (to keep it: kura demo --keep DIR).
msg-demo-kept = The demo's files stay in { $dir }.
warn-stage-swept = removed { $path }, left by an extraction that was stopped before it finished
warn-not-recorded = Note: no custody record was written (an age identity cannot sign; add your OpenSSH key with -i)
warn-custody-torn = Note: the last line of the custody log was incomplete (an interrupted write) and was ignored
warn-time-hand-set = ! Not dated by the computer's clock but by hand (KURA_NOW, a setting of test builds only): { $records }. These times are not evidence of when anything happened.
warn-time-backwards = ! Record #{ $n } is dated before record #{ $before }, which comes earlier in the log: a computer's clock was wrong, so the times in this log are not reliable.
warn-time-unreadable = ! Record #{ $n } has no readable time.
msg-time-not-reliable = time not reliable

## clinic ledger, printable certificate, incident report
err-ledger-no-home = Cannot find your data folder for the ledger: set KURA_LEDGER to the ledger file
err-ledger-open = Cannot open the ledger { $path }: { $detail }
err-ledger-db = The ledger database failed: { $detail }
err-ledger-newer = The ledger was written by a newer kura (schema { $version }; this kura knows up to { $supported }): update kura
err-ledger-history-differs = The custody log of vault { $id } does not continue the ledger's copy ({ $n } records): its history differs from what was registered
err-ledger-unknown = Vault { $id } is not in the ledger: register it with kura ledger add first
err-ledger-changed = The ledger's copy of the custody log of vault { $id } changed while closing: run the command again
err-ledger-already-closed = Vault { $id } is already closed by another certificate ({ $certificate })
msg-ledger-added = Registered vault { $id } (approval { $approval }, delete by { $delete_by }); the ledger keeps a copy of its custody log ({ $n } records)
msg-ledger-unchanged = Vault { $id } is already registered with this custody log; nothing changed
msg-ledger-extended = Vault { $id } was already registered: its copy of the custody log now has { $n } records ({ $added } new)
msg-ledger-where = Ledger: { $path }
msg-ledger-summary = Ledger { $path } on { $today }: { $total } exports — { $outstanding } outstanding, { $overdue } overdue, { $closed } closed
msg-ledger-col-status = status
msg-ledger-col-engineer = engineer
msg-ledger-st-outstanding = outstanding
msg-ledger-st-overdue = OVERDUE ({ $days ->
    [one] { $days } day
   *[other] { $days } days
})
msg-ledger-st-deleted = closed: deleted, { $timing }
msg-ledger-st-returned = closed: returned, { $timing }
msg-ledger-st-lost = closed: vault LOST, copies deleted
msg-ledger-st-lost-unreliable = closed: vault LOST, time not reliable
msg-ledger-on-time = on time
msg-ledger-late = late
err-incident-date = { $date } is not a usable discovery date: give YYYY-MM-DD, today or earlier
msg-weekday = { $day ->
    [mon] Mon
    [tue] Tue
    [wed] Wed
    [thu] Thu
    [fri] Fri
    [sat] Sat
   *[sun] Sun
}
msg-incident-date = { $date } ({ $weekday })
msg-incident-title = DRAFT — Report of a lost medium carrying a kura vault
msg-incident-intro = A factual draft for the clinic's and the vendor's reports. Check every statement and add what only people know (where and when the medium was last seen, who searched). It names no patient and no file.
msg-incident-h-deadline = 1. Deadline
msg-incident-discovered = Loss discovered: { $date }
msg-incident-deadline = The rules require a report to 日医総研 (the Japan Medical Association Research Institute) within { $n } business days, counting the day of discovery: by { $date } at the latest.
msg-incident-holidays = Only Saturdays and Sundays are skipped; Japanese public holidays are not taken into account. A holiday in this period makes the deadline later: the date above is the earliest it can be.
msg-incident-h-contents = 2. What was on the medium
msg-incident-vault = Vault { $id }, packed { $created } by { $packer }
msg-incident-files = { $files } files, { $size } in total ({ $csize } encrypted)
msg-incident-approval = Written approval { $id } by { $by }; purpose: { $purpose }; to be deleted or returned by { $delete_by }
msg-incident-no-names = File names and contents are inside the encryption and are not repeated here.
msg-incident-h-protection = 3. How it was protected
msg-incident-encryption = Encrypted with age (age-encryption.org/v1: ChaCha20-Poly1305, the file key wrapped for each recipient). Only the private key of one of these { $n } recipients opens it; no password does:
msg-incident-signed = The list of contents (manifest) is signed by { $packer }. The ciphertext's BLAKE3 is { $hash }: if the medium is found, any change to it can be detected.
msg-incident-chain-ok = The custody log ({ $n } records) was checked: every signature and every link is intact.
msg-incident-signers-checked = Every signer of the log is in the allowed signers list.
msg-incident-signers-unchecked = The signers were not checked against an allowed signers list (give --signers FILE).
msg-incident-h-custody = 4. Chain of custody
msg-incident-last = Last recorded event: #{ $n } { $event }, { $time }, by { $who } on { $host }
msg-incident-was-deleted = The log records that the vault was deleted before the loss (#{ $n }, { $time }, by { $who }).
msg-incident-was-returned = The log records that the medium was returned to the clinic (#{ $n }, { $time }, by { $who }).
msg-incident-extractions = Extractions of plaintext copies recorded in this copy of the log: { $n } (on { $hosts }). They must still be deleted and certified as planned.
msg-incident-no-extractions = This copy of the log records no extraction. It cannot show copies made without kura, nor extractions recorded after this copy was taken.
msg-incident-notes-omitted = Notes left out of this draft: { $n } (see kura custody show).
msg-incident-h-steps = 5. Suggested next steps
msg-incident-step-report = Tell the clinic's administrator and the vendor's responsible person now; send the written report by { $date }.
msg-incident-step-search = Search for the medium; write down where and when it was last seen and who searched.
msg-incident-step-keys = Confirm that no recipient's private key was kept on or with the medium and that each key has a passphrase. If a key may have been exposed, treat the data as possibly disclosed and replace the key.
msg-incident-step-ppc = Decide with the clinic whether the Personal Information Protection Commission must be told and the patients notified; whether strong encryption exempts this loss depends on the keys having stayed safe.
msg-incident-step-record = Record the loss in the custody log, signed and dated: kura incident X.kura.custody -i KEY (or kura custody add … --event lost).
msg-incident-step-recorded = The loss is recorded in the custody log (record #{ $n }).
msg-incident-step-copies = Plaintext copies extracted before the loss must still be destroyed and certified: kura certify X.kura --custody COPY_OF_THE_LOG --deleted FOLDER… -i KEY (after the loss is recorded, the certificate states the vault as lost).
msg-incident-step-found = If the medium is found: check it with kura verify before any use, record it with kura custody add … --event note, then delete or return it and certify as usual.
help-incident-about = Draft the report of a lost medium (deadline, contents, protection, custody) and record the loss
help-incident-after-help = The draft names no patient and no file: only counts, sizes, the approval, the keys and the custody events (without their notes). Notes you add must not name patients either.
help-incident-arg-custody = A copy of the custody log (X.kura.custody) of the vault that was on the lost medium
help-incident-arg-from-ledger = Use the ledger's copy of the custody log of this vault instead of a file
help-incident-arg-discovered = The day the loss was discovered (default: today)
help-incident-arg-identity = Record the loss: append a signed "lost" event to the custody log with this OpenSSH key
help-incident-arg-note = Note for the "lost" record, e.g. where it was last seen (never patient information)
help-incident-arg-signers = OpenSSH allowed_signers file: every signer of the log must be listed
msg-html-title-deleted = Certificate of Data Deletion
msg-html-title-returned = Certificate of Data Return
msg-html-certificate-id = Certificate ID
msg-html-issued-at = Issued
msg-html-fingerprint = Fingerprint of CERT.json (BLAKE3, first 16 hex digits)
msg-html-verified = VERIFIED
msg-html-verified-detail = When this page was made, the signature was checked (signer "{ $principal }" is in the allowed signers list), the certificate was compared with the clinic's copy of the custody log ({ $k } records) and its whole chain ({ $n } records) was verified.
msg-html-unverified = NOT VERIFIED
msg-html-unverified-detail = This page was made without checking the signature of certificate { $id }. It is a readable copy only: check the signed file with the command below before relying on it.
msg-html-h-certificate = 1. Certificate
msg-html-action = What was done
msg-html-action-deleted = The data was deleted
msg-html-action-returned = The medium was returned intact
msg-html-action-lost = The vault was LOST; only the plaintext copies made from it were deleted
msg-html-issuer = Issued by
msg-html-organisation = Organisation
msg-html-issuer-key = Signing key
msg-html-host = Computer name
msg-html-tool = Tool
msg-html-format = Format
msg-html-h-approval = 2. Approval
msg-html-approval-id = Approval ID
msg-html-approved-by = Approved by
msg-html-purpose = Purpose
msg-html-delete-by = Delete or return by
msg-html-on-time = On time
msg-html-time-not-reliable = Not shown: the times in the chain of custody are not reliable (set by hand, or a record dated before an earlier one)
msg-html-timing-vault-lost = No: the vault was lost, not deleted
msg-html-days-late = ({ $days ->
    [one] { $days } day
   *[other] { $days } days
} late)
msg-html-approval-doc = Approval document (BLAKE3)
msg-html-none = none
msg-html-yes = Yes
msg-html-no = No
msg-html-h-vault = 3. Data (vault)
msg-html-vault-id = Vault ID
msg-html-created = Packed
msg-html-packer = Packed by
msg-html-contents = Contents
msg-html-contents-value = { $files } files, { $size } ({ $bytes } bytes)
msg-html-manifest = Manifest (BLAKE3)
msg-html-ciphertext = Encrypted vault
msg-html-recipients = Recipients (keys that can open it)
msg-html-h-items = 4. Items
msg-html-col-role = Role
msg-html-col-path = Path
msg-html-col-type = Type
msg-html-col-size = Size
msg-html-col-files = Files
msg-html-col-blake3 = BLAKE3 before
msg-html-col-outcome = Outcome
msg-html-h-method = 5. Method
msg-html-reference = Reference
msg-html-technique = Technique
msg-html-caveat = Limits
msg-html-protection = What protects the data
msg-html-h-verification = 6. Checked afterwards
msg-html-check-method = How
msg-html-check-result = Result
msg-html-no-extractions = The custody log records no extraction of plaintext copies.
msg-html-col-record = Record
msg-html-col-host = Computer
msg-html-col-destination = Destination
msg-html-col-status = Status
msg-html-h-custody = 7. Chain of custody
msg-html-chain-records = Records
msg-html-chain-head = Last record (BLAKE3)
msg-html-col-seq = #
msg-html-col-time = Time
msg-html-col-event = Event
msg-html-col-who = Who
msg-html-col-note = Note / details
msg-html-col-line-hash = Record hash
msg-html-h-check = 8. Checking this certificate
msg-html-how-to-check = The signed file CERT.json (with CERT.json.sig) is the evidence; this page is its printout. Check it with kura or with OpenSSH alone:
msg-html-blake3 = BLAKE3 of CERT.json
msg-html-sign-checked-by = Checked by
msg-html-sign-date = Date
msg-html-sign-seal = Seal
msg-html-footer = Printed { $printed }
msg-render-done = Wrote { $path }: the printable certificate { $id }, fingerprint { $fingerprint }
msg-render-verified = The certificate was verified before printing; the page says so.
msg-render-unverified = The certificate was NOT verified (give --signers and --custody to verify); the page says so.
help-certificate-render-about = Write a printable page (HTML, A4, Japanese and English) of a certificate, with its verification status and fingerprint
help-certificate-render-arg-certificate = The certificate (CERT.json)
help-certificate-render-arg-output = The page to write (HTML, A4, Japanese and English)
help-certificate-render-arg-signers = Verify before printing: OpenSSH allowed_signers file (with --custody)
help-certificate-render-arg-custody = Verify before printing: your own copy of the custody log (with --signers)
help-certificate-render-arg-sig = The signature (default: CERT.json.sig)
help-certificate-render-arg-force = Replace an existing page
msg-ledger-closed = Closed in the ledger: vault { $id } — { $status }
msg-ledger-closed-already = Vault { $id } was already closed by this certificate; nothing changed
help-ledger-close-about = Verify a deletion or return certificate against the ledger's copy of the custody log and close the export
help-ledger-close-arg-certificate = The certificate (CERT.json, with CERT.json.sig beside it)
help-ledger-close-arg-signers = OpenSSH allowed_signers file: who may sign certificates
help-ledger-close-arg-sig = The signature (default: CERT.json.sig)

## language, scripts, terminal: usage errors, progress, manual pages
err-usage-unknown-arg = there is no option or argument "{ $arg }" here
err-usage-unknown-command = there is no command "{ $command }"
err-usage-invalid-value = "{ $value }" is not a valid value for { $arg }
err-usage-missing = a required argument is missing: { $arg }
err-usage-missing-command = a command is missing
err-usage-conflict = { $arg } cannot be used together with { $other }
err-usage-arg = { $arg } is not given correctly
err-usage-utf8 = an argument is not valid UTF-8 text
msg-usage-valid = possible values: { $values }
msg-usage-suggestion = did you mean { $suggestion }?
msg-usage-more = For more information, run: { $command } --help
msg-help-usage = Usage:
msg-help-heading-arguments = Arguments
msg-help-heading-options = Options
msg-help-heading-commands = Commands
msg-help-heading-global = Global options
msg-progress-pack = Packing
msg-progress-verify = Checking
msg-progress-extract = Extracting
msg-progress-left = left
msg-man-written = Wrote { $n } manual pages into { $dir }
msg-man-exit-status = EXIT STATUS
msg-man-exit-intro = kura ends with one of these codes; docs/EXIT-CODES.md lists the usual causes of each.
msg-man-exit-success = success
msg-man-exit-internal = something unexpected inside kura (a bug; a step of kura demo failed)
msg-man-exit-usage = the command line is wrong
msg-man-exit-refused = kura refused the input by a rule (an incomplete approval, a delete-by date in the past, a special file)
msg-man-exit-key = a key or passphrase could not be used
msg-man-exit-decrypt = none of your keys can open the vault
msg-man-exit-integrity = something was altered, truncated or does not match
msg-man-exit-untrusted = a signature is valid, but its signer is not trusted (not in --signers)
msg-man-exit-unsafe = the archive tried to write outside its destination; nothing was extracted
msg-man-exit-exists = the output exists and kura does not overwrite it
msg-man-exit-io = reading or writing failed (not found, permission denied, disk full)
msg-man-exit-policy = a data-protection rule forbids it here (a network file system, a USB stick, a key beside the vault)
msg-man-exit-interrupted = stopped by Ctrl-C or SIGTERM; partial files were removed
msg-man-examples = EXAMPLES
msg-man-ex-approver = Director Yamada
msg-man-ex-purpose = investigating a receipt fault
msg-man-ex-demo = Run the whole flow on built-in dummy data, printing each command:
msg-man-ex-keygen = Once: make your key pair, kura_engineer and kura_engineer.pub:
msg-man-ex-pack = At the clinic, with its written approval: pack the export for the recipients in recipients.txt (your key and the clinic's):
msg-man-ex-inspect = Show a vault's public facts (no key needed):
msg-man-ex-custody-add = The clinic records the hand-over with its own key, then keeps a copy of export.kura.custody:
msg-man-ex-ledger-add = The clinic registers the export in its ledger, from its copy of the custody log:
msg-man-ex-contents = List the files a vault holds, after checking everything, writing no plaintext:
msg-man-ex-verify = Back at the office: decrypt and check everything, writing no plaintext:
msg-man-ex-extract = Check everything, then put the files into the new folder case-041:
msg-man-ex-custody-show = Show the custody log:
msg-man-ex-custody-verify = Check the custody log's chain and that every actor is trusted:
msg-man-ex-certify = When done: destroy the extracted copy and the vault, and issue a signed certificate:
msg-man-ex-certificate-verify = At the clinic: check the certificate against the clinic's own copy of the custody log:
msg-man-ex-certificate-render = Write a printable page of the checked certificate for the clinic's files:
msg-man-ex-ledger-close = Close the export in the ledger with its verified certificate:
msg-man-ex-ledger-list = List the exports: outstanding, overdue and closed:
msg-man-ex-incident = A stick was lost: draft the report from a copy of its custody log, and record the loss:
msg-man-ex-completions = Print the completion script for bash:
msg-man-ex-man = Write one manual page per command into the folder man1:

## --help texts: help-PATH-about, help-PATH-long-about, help-PATH-arg-ID, shared help-arg-ID (see src/cli/help.rs)
help-flag-help = Print help
help-flag-help-more = Print help (see more with --help)
help-flag-help-summary = Print help (see a summary with -h)
help-flag-version = Print version
help-cmd-help-about = Print this message or the help of the given command
help-cmd-help-arg-subcommand = The command to explain
help-about = Carry a patient-data export out of a clinic encrypted, signed and accounted for
help-long-about =
    kura packs an export into one encrypted vault readable only by named recipients, records the clinic's written approval, keeps a signed chain of custody beside it, and ends with a signed deletion or return certificate.

    Never put patient names in notes or other free text.
help-arg-lang = Language of messages: ja or en (default: from LC_ALL, LC_MESSAGES, LANG)
help-arg-json = Print machine-readable JSON on stdout (errors too)
help-arg-quiet = Print nothing but errors
help-arg-identity = My key: an OpenSSH Ed25519 private key (signs and decrypts) or an age identity file (decrypts)
help-arg-passphrase-file = File holding the key's passphrase (else $KURA_PASSPHRASE_FILE, else asked on the terminal)
help-keygen-about = Make an OpenSSH Ed25519 key pair (KEY and KEY.pub)
help-keygen-arg-output = Where to write the private key (PATH.pub gets the public key)
help-keygen-arg-comment = Comment stored in the key (your name or address; default user@host)
help-keygen-arg-no-passphrase = Leave the private key unencrypted (for unattended use)
help-keygen-arg-passphrase-file = File holding the new passphrase (else $KURA_PASSPHRASE_FILE, else asked twice)
help-pack-about = Pack files and folders into an encrypted, signed vault
help-pack-arg-output = The vault to write (its custody log goes to OUT.custody)
help-pack-arg-recipient = Recipient: an "ssh-ed25519 …" public key line or an "age1…" key (repeatable)
help-pack-arg-recipients-file = File of recipients, one per line, # comments (repeatable)
help-pack-arg-approval-id = The clinic's approval number or reference
help-pack-arg-approved-by = Who at the clinic approved in writing
help-pack-arg-purpose = Why the data leaves the clinic (never a patient's name)
help-pack-arg-delete-by = Date by which the data must be deleted or returned (YYYY-MM-DD)
help-pack-arg-approval-doc = Scan or PDF of the written approval, packed inside the encryption
help-pack-arg-force = Replace an existing vault and custody log
help-pack-arg-armor = Write the vault in age's ASCII armor
help-pack-arg-paths = Files and folders to pack
help-inspect-about = Show a vault's public facts (no key needed)
help-inspect-arg-vault = The vault
help-inspect-arg-custody = Its custody log (default: VAULT.custody)
help-verify-about = Decrypt and check everything, writing no plaintext
help-verify-arg-vault = The vault
help-verify-arg-signers = OpenSSH allowed_signers file: the packer's key must be listed
help-verify-arg-custody = Its custody log (default: VAULT.custody)
help-extract-about = Decrypt, check everything, then put the files in DEST
help-extract-arg-vault = The vault
help-extract-arg-dest = Destination folder: new or empty (created if missing)
help-extract-arg-signers = OpenSSH allowed_signers file: the packer's key must be listed
help-extract-arg-custody = Its custody log (default: VAULT.custody)
help-custody-about = The chain of custody beside a vault
help-custody-add-about = Append a signed event a person attests (handover, received, note, lost). Notes must never name a patient
help-custody-add-after-help =
    WARNING: the custody log travels with the vault and is handed to the clinic and others unencrypted. Never write a patient's name, patient number or anything else that identifies a patient in a note.
help-custody-add-arg-vault = The vault (or its .custody file)
help-custody-add-arg-event = handover, received, note or lost (what kura records itself — packed, verified, extracting, extracted, abandoned, deleted, returned — is refused)
help-custody-add-arg-note = Free text, stored unencrypted: NEVER a patient's name or anything identifying a patient
help-custody-add-arg-identity = My OpenSSH Ed25519 key (signs the record)
help-custody-add-arg-passphrase-file = File holding the key's passphrase
help-custody-show-about = Show the log as a table
help-custody-show-arg-vault = The vault (or its .custody file)
help-custody-verify-about = Check every signature and link of the chain
help-custody-verify-arg-vault = The vault (or its .custody file)
help-custody-verify-arg-signers = OpenSSH allowed_signers file: every actor must be listed
help-demo-about = Run the whole flow on built-in dummy data
help-demo-arg-keep = Keep the demo's files in this folder (a new or empty one) instead of a temporary one that is removed at the end
help-completions-about = Print a shell completion script (bash, zsh, fish, powershell, elvish)
help-completions-arg-shell = The shell: bash, zsh, fish, powershell or elvish
help-man-about = Print the manual page, or write one per command into a folder
help-man-arg-output-dir = Write kura.1 and one page per command (kura-pack.1, …) into this folder instead of printing kura.1
help-man-arg-force = Replace pages that already exist in DIR
help-ledger-about = The clinic's ledger of exports: outstanding, overdue, closed
help-arg-ledger = The ledger file (default: kura/ledger.sqlite in your data folder; or set KURA_LEDGER)
help-ledger-add-about = Register an export at hand-over, from its custody log (the ledger keeps a copy of the log)
help-ledger-add-arg-custody = The custody log (X.kura.custody) or the vault beside it
help-ledger-add-arg-signers = OpenSSH allowed_signers file: every signer of the log must be listed
help-ledger-list-about = Every export with its status: outstanding, overdue, or closed (deleted or returned, on time or late)

## custody log
msg-custody-why-no-signature = it has no signature
msg-custody-why-malformed = it is not a well-formed record
msg-custody-why-too-long = it is too long
msg-custody-why-version = it uses an unknown record version
msg-custody-why-sequence = it is out of sequence (a record was removed, reordered or inserted here)
msg-custody-why-link = it does not follow the record before it (a record was edited, removed, reordered or inserted)
msg-custody-why-after-certified = it contradicts the certified deletion or return before it (after a deletion only notes may follow; after a return no extraction or second certification)
msg-custody-why-event = it names an unknown event
msg-custody-why-signature = its signature does not match (the record was edited)
msg-custody-why-first = the first record is not the "packed" record
msg-custody-why-no-receipt = the first record has no receipt
msg-custody-why-receipt-signature = the receipt's signature does not match (the receipt was edited)
msg-custody-why-receipt-record = the receipt does not match the first record
msg-custody-why-second-receipt = a second "packed" record
msg-custody-why-other-vault = it names another vault
msg-custody-why-utf8 = the log is not UTF-8 text
msg-custody-why-inserted = it was inserted (the record after it follows the one before it)

## certificates
err-certify-action = say what to certify: add --deleted [PATH…] if the data was destroyed, or --returned if the medium is handed back
err-certify-path-unusable = { $path } cannot be destroyed: give a file or folder by its name
err-certify-link = { $path } is a symbolic link: give the real file or folder to destroy
err-certify-hard-link = { $path } has other hard links: destroying it would change files elsewhere; remove the other links first
err-certify-too-wide = refusing to destroy { $path }: it is the root or your home folder (or holds it)
err-certify-custody-inside = refusing to destroy { $path }: it holds the custody log, which is the evidence and must be kept
err-certify-vault-inside = refusing to destroy { $path }: it holds the vault; give the vault and the copies separately
err-certify-output-inside = refusing to destroy { $path }: the certificate is to be written inside it
err-certify-overlap = { $path } and { $other } overlap: list each folder once
err-certify-copy-remains = a plaintext copy extracted on this computer still exists at { $path } (custody record #{ $n }): add it to --deleted (or --destroy), or delete it first
err-certify-vault-mismatch = { $path } does not match the vault's signed receipt (size or BLAKE3 differ): this is not the vault the custody log describes
err-certify-returned-lost = the vault { $path } was recorded as lost: it cannot be returned; certify the deletion of its copies with --deleted
err-certify-returned-vault = with --returned the vault is handed back, not destroyed: do not list it
err-certify-remains = { $path } still exists after destruction
err-certify-destroy-failed = could not destroy { $path }: { $detail }. Of it, { $overwritten } of { $files } files had been overwritten and { $removed } entries removed. Destroyed in full: { $done }. Not touched: { $left }. No certificate was issued and no custody record written; fix the problem, then run kura certify again for what remains
err-certify-changed = { $path } changed after it was surveyed (replaced, moved, linked elsewhere or added to): kura stopped there and issued no certificate; find out what else is using these files, then run kura certify again
err-certify-mount-point = refusing to destroy { $path }: it is a mount point (a file system of its own); name the files and folders on it instead, or unmount it first
err-certify-other-fs = refusing to destroy { $root }: { $path } inside it is another file system mounted there; unmount it first (kura destroys within one file system only)
err-certify-immutable = { $path } is marked immutable or append-only, so it cannot be overwritten or emptied: remove the flag with chattr -i -a { $path } (as root), then run kura certify again
err-certify-not-writable = { $path } cannot be overwritten: you may not write to it and it is not yours; ask its owner or an administrator, then run kura certify again
err-certify-folder-locked = { $path } cannot be removed: the folder { $folder } does not let you remove entries (not writable by you, or sticky and not yours); fix that folder's permissions, then run kura certify again
err-certify-read-only = { $path } is on a read-only file system and cannot be overwritten: mount it read-write (or release the medium's write protection), then run kura certify again
err-cert-unreadable = This certificate is NOT valid: it is not a kura certificate
err-cert-altered = This certificate is NOT valid: it was changed after it was signed (the signature does not match)
err-cert-namespace = This certificate is NOT valid: its signature is not a certificate signature (namespace "{ $namespace }")
err-cert-untrusted = This certificate is NOT trusted: it was signed by { $key }, who is not in your allowed signers file
err-cert-other-vault = This certificate is for another export: it names vault { $cert }, but your custody log is for vault { $clinic }
err-cert-not-prefix = This certificate is NOT valid: its custody history differs from your copy at record #{ $n }
err-cert-chain-broken = This certificate is NOT valid: the custody history inside it is broken at record #{ $n }: { $why }
err-cert-chain-end = This certificate is NOT valid: its custody history does not end with the signed deletion or return record (record #{ $n })
err-cert-field-mismatch = This certificate is NOT valid: its "{ $field }" does not agree with the custody history
err-cert-sig-missing = the signature file { $path } is missing: it must be sent with the certificate
msg-cert-technique-clear = Each file was overwritten once in place with pseudo-random data and flushed to the medium (fsync), then renamed to a random name and unlinked; folders were then removed and flushed.
msg-cert-technique-none = Nothing was destroyed: the vault was checked against its signed receipt and handed back intact.
msg-cert-caveat = This is a logical overwrite, NIST SP 800-88 "Clear". On flash media (USB sticks, SSDs, SD cards) wear levelling and block remapping, and on copy-on-write or journalling file systems the file system itself, mean an overwrite is not guaranteed to reach every cell that once held the data. It is not a "Purge" (the device's sanitize or secure-erase command, or cryptographic erase) nor a "Destroy" (physical destruction of the medium).
msg-cert-protection = The vault was only ever ciphertext (age: X25519 and ChaCha20-Poly1305), readable only with a private key of one of its listed recipients, so any remnant of it on the medium cannot be read without one of those keys. Remnants of extracted plaintext copies are protected only by the encryption of the disk they were on: extract only onto an encrypted disk.
msg-cert-check-deleted = After destruction every destroyed path was looked up again and none exists any more; before it, the vault's size and BLAKE3 were checked against its signed receipt, and every plaintext copy that the custody log records on this computer was checked to be destroyed or already gone.
msg-cert-check-returned = The vault's size and BLAKE3 were checked against its signed receipt (it is intact); every plaintext copy that the custody log records on this computer was checked to be destroyed or already gone, and each destroyed path was looked up again afterwards.
msg-certify-destroyed = Destroyed: { $path } ({ $files } files, { $size })
msg-certify-kept = Kept intact, to be handed back: { $path } ({ $size })
msg-certify-would-destroy = Would destroy: { $path } ({ $files } files, { $size })
msg-certify-would-keep = Would keep intact, to be handed back: { $path } ({ $size })
msg-certify-would-state-lost = Would state as lost (nothing left to destroy): { $path } ({ $size })
msg-certify-dry-run = Dry run: every check passed; { $files } files ({ $size }) would be destroyed. Nothing was destroyed, and no certificate or custody record was written.
msg-certify-none = none
msg-certify-written = Certificate written: { $cert } and its signature { $sig }. Send both to the clinic.
msg-certify-caveat = Method: NIST SP 800-88 "Clear" (overwrite). On flash media an overwrite cannot be guaranteed to reach every cell; the certificate says so and what protects the data anyway.
warn-certify-other-host = Note: a plaintext copy was extracted on another computer ({ $host }: { $path }); it could not be checked from here
warn-certify-late = Note: this is after the delete-by day { $delete_by }: the certificate says it was late
msg-cert-valid-deleted = This certificate is valid. The data of approval { $approval } (vault { $vault }) was deleted on { $date }, within the deadline ({ $delete_by }).
msg-cert-valid-deleted-late = This certificate is valid. The data of approval { $approval } (vault { $vault }) was deleted on { $date }, LATE: { $days ->
    [one] { $days } day
   *[other] { $days } days
} after the deadline ({ $delete_by }).
msg-cert-valid-returned = This certificate is valid. The data of approval { $approval } (vault { $vault }) was returned on { $date }, within the deadline ({ $delete_by }).
msg-cert-valid-returned-late = This certificate is valid. The data of approval { $approval } (vault { $vault }) was returned on { $date }, LATE: { $days ->
    [one] { $days } day
   *[other] { $days } days
} after the deadline ({ $delete_by }).
msg-cert-valid-deleted-unreliable = This certificate is valid. The data of approval { $approval } (vault { $vault }) was deleted; the certificate is dated { $date }, but its times are not reliable (see the lines marked !), so it does not show whether the deadline ({ $delete_by }) was met.
msg-cert-valid-returned-unreliable = This certificate is valid. The data of approval { $approval } (vault { $vault }) was returned; the certificate is dated { $date }, but its times are not reliable (see the lines marked !), so it does not show whether the deadline ({ $delete_by }) was met.
msg-cert-valid-lost = This certificate is valid, but the vault was not deleted: vault { $vault } (approval { $approval }) was recorded as LOST. Only the plaintext copies made from it were deleted (the certificate is dated { $date }).
msg-cert-chain-ok = { $n } records, every signature and link valid; your copy ({ $k } records) is its beginning
msg-f-certificate-id = certificate id
msg-f-issued-at = issued at
msg-f-issuer = issuer
msg-f-signed-by = signature
msg-f-action = action
msg-f-on-time = on time
msg-f-timing = deadline met
msg-timing-vault-lost = no: the vault was lost, not deleted
msg-f-host = computer
msg-f-method = method
msg-f-verification = checked afterwards
msg-f-extraction = plaintext copy
msg-action-deleted = deleted
msg-action-returned = returned
msg-action-lost = vault lost (only its plaintext copies deleted)
help-certify-about = Destroy the data (or hand it back) and issue a signed certificate
help-certify-after-help =
    The certificate can be checked with OpenSSH alone:
      ssh-keygen -Y verify -f allowed_signers -I PRINCIPAL -n kura-certificate -s CERT.json.sig < CERT.json
help-certify-arg-vault = The vault
help-certify-arg-deleted = Destroy the vault and these plaintext copies (files or folders, recursively), then certify the deletion
help-certify-arg-returned = Certify that the medium is handed back with the vault intact
help-certify-arg-destroy = With --returned: plaintext copies to destroy before certifying the return
help-certify-arg-identity = My OpenSSH Ed25519 key (signs the custody record and the certificate)
help-certify-arg-passphrase-file = File holding the key's passphrase
help-certify-arg-output = The certificate to write (its signature goes to CERT.json.sig)
help-certify-arg-issuer-name = Issuer's name on the certificate (default: the key's comment)
help-certify-arg-organisation = Issuer's organisation (left empty when not given)
help-certify-arg-note = Note for the custody record (never patient information)
help-certify-arg-custody = Its custody log (default: VAULT.custody)
help-certify-arg-force = Replace an existing CERT.json and CERT.json.sig
help-certify-arg-dry-run = Run every check and list what would be destroyed, but destroy nothing and write nothing
help-certificate-about = Deletion and return certificates
help-certificate-verify-about = Check a deletion or return certificate against your copy of the custody log
help-certificate-verify-after-help =
    Exit codes: 0 valid (on time or late, as the first line says), 6 altered or inconsistent, 7 signer not in the allowed signers, 3 certificate for another vault, 10 file missing.
help-certificate-verify-arg-certificate = The certificate (CERT.json)
help-certificate-verify-arg-custody = Your own copy of the custody log, taken at hand-over
help-certificate-verify-arg-signers = OpenSSH allowed_signers file: who may sign certificates
help-certificate-verify-arg-sig = The signature (default: CERT.json.sig)

## demo: the full flow
msg-demo-clinic-copy = The clinic keeps its own copy of the custody log: { $path }

## media, split volumes, rule 10/11 guards, hostile input
err-guard-removable = { $path } is on a portable medium ({ $why }): extracting there would leave patient data unencrypted on something that can be lost (rule 10). Extract to this computer's internal disk, or add --allow-removable only if the clinic allows it
err-guard-network = { $path } is on a network file system ({ $fs }): patient data must not be written over a network (rule 11). Choose a folder on a local disk, or add --allow-network only if the clinic allows it
err-guard-key-with-vault = the key { $key } is on the same removable medium as the vault { $vault }: whoever finds the medium could open the vault. Keep the key on your computer, apart from the data (or add --allow-key-with-vault)
err-fat-too-big = { $path } is on a { $fs } file system, which holds files of at most 4 GiB − 1, and this vault may grow to { $size }: pack it in volumes with --split 4000M, or use a disk with another file system
err-split-over-fat = --split { $size } is too large for the { $fs } file system (at most 4 GiB − 1 per file): use --split 4000M or less
err-space-short = not enough space: the disk holding { $path } has { $free } free, and about { $need } is needed for { $size } of data, so the disk would be full. Free some space or choose another disk; nothing was written
err-split-size = --split takes a size such as 2G, 700M or 1048576, not "{ $value }"
err-split-small = --split { $value } is too small (at least { $min })
err-split-too-many = the vault would need more than { $max } volumes: choose a larger --split size
err-volume-missing = the vault is split into volumes and { $path } is missing: keep every volume (.001, .002, …) side by side
msg-portable-removable = a removable disk
msg-portable-usb = a USB disk
msg-portable-card = a memory card
msg-portable-external = an external drive
help-pack-arg-level = zstd compression level, 1 (fastest, the default) to 19 (smallest)
help-pack-arg-split = Write the vault as volumes OUT.kura.001, OUT.kura.002, … of at most SIZE each (2G, 700M), for FAT sticks
help-pack-arg-allow-network = Write the vault to a network file system even though rule 11 forbids it
help-pack-arg-allow-key-with-vault = Let the key (-i) sit on the same removable medium as the vault (whoever finds it can open it)
help-extract-arg-allow-removable = Extract onto a removable or portable medium even though rule 10 forbids plaintext there
help-extract-arg-allow-network = Extract onto a network file system even though rule 11 forbids it
help-extract-arg-allow-key-with-vault = Let the key (-i) sit on the same removable medium as the vault
err-io-too-big = { $path } grew larger than its file system allows for one file (FAT32: 4 GiB − 1); nothing partial was kept. Pack with --split 4000M
err-vault-oversize = the vault holds more than its signed receipt declares ({ $what }): it was altered or built to exhaust this computer; refused, nothing was extracted
err-vault-bomb = the receipt declares { $size } of data in only { $csize } of ciphertext, far beyond what any real export compresses to: refused as a decompression bomb
err-too-many-members = { $count } files and folders are more than one vault holds ({ $max }): pack them in several vaults
err-vault-limit = the vault goes beyond a limit kura keeps to (docs/FORMAT.md, section 2.1): { $what ->
    [members] more than { $max } files, folders and links
    [folders] more than { $max } folders (at "{ $path }")
    [depth] "{ $path }" lies more than { $max } folders deep
    [target] the link "{ $path }" has a target of more than { $max } bytes
    [names] its paths and link targets take more than { $max } (at "{ $path }")
    [headers] its tar headers take far more room than its names need
    [manifest] its manifest is larger than its members call for ({ $max })
    [approval] its approval document is larger than { $max }
   *[other] { $what }
}. No real export does: it was built to exhaust this computer; refused, nothing was extracted
err-export-limit = { $what ->
    [folders] the export has more than { $max } folders (at { $path })
    [depth] { $path } lies more than { $max } folders deep
    [target] the link { $path } has a target of more than { $max } bytes
    [names] the paths and link targets of the export take more than { $max } (at { $path })
   *[other] { $what }
}: that is more than one vault holds (docs/FORMAT.md, section 2.1); pack the export in parts, in several vaults
err-approval-doc-too-large = the approval document { $path } is larger than a vault holds ({ $max }): give a smaller scan of it
err-not-regular-file = { $path } is not a regular file (it is a folder, device, FIFO or socket): give the path of a file
err-passphrase-file = the passphrase file { $path } cannot be used: { $reason }
err-output-inside-input = the vault { $output } would be written inside { $input }, which is being packed: give -o a place outside what is packed
msg-demo-step-keys-engineer = keys: the engineer's
msg-demo-step-keys-clinic = keys: the clinic's
msg-demo-step-pack = pack (at the clinic, with its written approval)
msg-demo-step-inspect = inspect (no key needed)
msg-demo-step-handover = hand-over recorded
msg-demo-step-ledger-add = the clinic registers the export in its ledger
msg-demo-step-verify = verify (back at the office)
msg-demo-step-extract = extract
msg-demo-step-certify = certify: destroy the extracted copy and the vault
msg-demo-step-custody-show = custody log
msg-demo-step-custody-verify = custody check
msg-demo-step-certificate-verify = certificate verify (at the clinic, against its own copy)
msg-demo-step-ledger-close = the clinic closes the export in its ledger
msg-demo-step-ledger-list = the ledger
msg-demo-step-render = a printable certificate for the clinic's files
msg-event-packed = packed
msg-event-handover = handover
msg-event-received = received
msg-event-verified = verified
msg-event-extracting = extracting
msg-event-abandoned = extraction abandoned
msg-event-extracted = extracted
msg-event-returned = returned
msg-event-deleted = deleted
msg-event-note = note
msg-event-lost = lost

## first use: messages that say what to do next
err-key-is-public = { $path } is a public key: give -i your private key, { $private } (the same name without .pub)
err-key-is-public-file = { $path } holds public keys, not a private key: give -i your private key (for a key made with kura keygen -o NAME, that is NAME, not NAME.pub)
err-recipient-is-file = -r takes a key itself, and { $value } is a file: give a file of recipients with -R { $value }
err-option-not-found = { $path } (given with { $option }) does not exist: check the name and folder
err-vault-missing = there is no vault { $path }: check the vault's name and folder
err-output-is-folder = { $path } is a folder: give a file name inside it, such as { $example }
err-cert-need-custody = add --custody CLINIC_COPY: your own copy of the custody log, kept at hand-over, which the certificate is checked against
err-cert-need-signers = add --signers FILE: the allowed_signers file naming who may sign certificates
err-passphrase-short = the passphrase is too short: use at least { $min } characters (a few words are easy to remember); a short one is soon guessed by whoever gets the key file
err-ledger-none = no ledger is set up here yet: name one with --ledger FILE or the environment variable KURA_LEDGER=FILE (kura ledger add creates it, by default as { $path })
msg-passphrase-again = Wrong passphrase, try again. Passphrase for { $path }: 
warn-packer-not-recipient = Note: your own key ({ $fingerprint }) is not among the recipients, so you cannot open this vault yourself (at the office it would say "not addressed to you"). If you need to, pack again adding -r "$(cat { $public })"
msg-not-given = —
msg-role-vault = vault
msg-role-plaintext-copy = plaintext copy
msg-outcome-destroyed = destroyed
msg-outcome-kept = kept intact
msg-outcome-lost = lost
msg-extraction-destroyed = destroyed
msg-extraction-absent = already gone
msg-extraction-other-host = on another computer
msg-f-approval-doc = approval document
msg-approval-doc-attached = attached, inside the encryption (BLAKE3 { $blake3 })
msg-approval-doc-none = none attached
msg-recipient-named = "{ $principal }" ({ $fingerprint })
msg-recipient-unlisted = not in the allowed signers file
msg-recipients-listed = { $listed } of the { $n } recipients are in the allowed signers file, named as it names them; if the clinic must be able to open the vault, check that its own key is among them
msg-contents-approval-doc = Approval document: { $path } ({ $size }); it is not listed below
msg-contents-no-approval-doc = No approval document is attached.
help-inspect-arg-signers = OpenSSH allowed_signers file: name the recipients as it does
help-contents-about = List the files a vault holds, after checking everything (no plaintext written)
help-contents-arg-vault = The vault
help-contents-arg-signers = OpenSSH allowed_signers file: the packer's key must be listed
help-contents-arg-custody = Its custody log (default: VAULT.custody)
