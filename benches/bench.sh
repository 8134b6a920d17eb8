#!/usr/bin/env bash
# kura's benchmark: kura against the pipelines a capable engineer would type,
# run side by side on the same machine, alternating, with wall time and peak
# RSS from /usr/bin/time -v.
#
#   pack:     kura pack                 vs  tar -cf - DIR | zstd -T0 -3 | age -r KEY > out
#   extract:  kura extract (verifies)   vs  age -d -i KEY x.kura | zstd -d | tar -xf - -C D
#   pipe:     cat DUMP | kura pack --stdin-name db.dump -   vs  cat DUMP | zstd -T0 -1 | age -r KEY > out
#             kura extract --to-stdout db.dump > /dev/null  vs  age -d -i KEY out | zstd -d > /dev/null
#
# on three corpora made with make-corpus (dummy data only):
#   default   make-corpus --size-mb 512           (text dump, CSVs, small files, scans)
#   custom    make-corpus --size-mb 512 --custom-dump  (mostly incompressible)
#   small     100,000 files of about 1 KiB each
#   pipe      one dump of --pipe-mb MiB (default 1024), the default corpus's
#             files one after the other, read from a pipe
# and a flat-memory check: kura's peak RSS at a larger input (1 GiB; 4 GiB with --big).
#
# Usage: benches/bench.sh [--runs N] [--size-mb N] [--small-files N] [--flat-mb N]
#                         [--pipe-mb N] [--big] [--only LIST] [--workdir DIR] [--keep]
# Environment: RUNS, SIZE_MB, SMALL_FILES, FLAT_MB, PIPE_MB, MAKE_CORPUS, KURA_BENCH_DIR (= --workdir),
# KURA_BIN (benchmark this binary instead of building target/release/kura).
#
# Page caches cannot be dropped here: each command runs once untimed first
# (warm-up), and `sync` runs before every timed command so that writeback of
# the previous run's output does not land in the next one's time.
set -euo pipefail

RUNS=${RUNS:-3}
SIZE_MB=${SIZE_MB:-512}
SMALL_FILES=${SMALL_FILES:-100000}
FLAT_MB=${FLAT_MB:-1024}
PIPE_MB=${PIPE_MB:-1024}
MAKE_CORPUS=${MAKE_CORPUS:-$(cd "$(dirname "$0")/.." && pwd)/../shared/tools/make-corpus}
WORK=${KURA_BENCH_DIR:-}
ONLY="default,custom,small,pipe,flat"
KEEP=0

usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        --size-mb) SIZE_MB=$2; shift 2 ;;
        --small-files) SMALL_FILES=$2; shift 2 ;;
        --flat-mb) FLAT_MB=$2; shift 2 ;;
        --pipe-mb) PIPE_MB=$2; shift 2 ;;
        --big) FLAT_MB=4096; shift ;;
        --only) ONLY=$2; shift 2 ;;
        --workdir) WORK=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "bench.sh: unknown argument $1" >&2; usage 2 ;;
    esac
done
[ "$RUNS" -ge 1 ] || { echo "bench.sh: --runs must be at least 1" >&2; exit 2; }
for tool in age zstd tar python3 /usr/bin/time "$MAKE_CORPUS"; do
    command -v "$tool" >/dev/null || { echo "bench.sh: $tool is missing" >&2; exit 2; }
done

REPO=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${KURA_BIN:-}" ]; then
    KURA=$(realpath "$KURA_BIN")
else
    echo "== building (cargo build --release)" >&2
    (cd "$REPO" && cargo build --release --quiet)
    KURA=$REPO/target/release/kura
fi

if [ -z "$WORK" ]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/kura-bench.XXXXXX")
    [ "$KEEP" = 1 ] || trap 'rm -rf "$WORK"' EXIT
else
    mkdir -p "$WORK"
fi
case "$WORK" in "$REPO"|"$REPO"/*) echo "bench.sh: the work dir must be outside the repository" >&2; exit 2 ;; esac
WORK=$(cd "$WORK" && pwd)
echo "== work dir $WORK" >&2
RESULTS=$WORK/results.tsv
: > "$RESULTS"

# ---- keys -------------------------------------------------------------
KEY=$WORK/key
if [ ! -f "$KEY" ]; then
    "$KURA" keygen -o "$KEY" --no-passphrase --comment bench >/dev/null
fi
chmod 600 "$KEY"
PUB=$(cat "$KEY.pub")
printf 'bench %s\n' "$PUB" > "$WORK/signers"

# ---- corpora (made once per work dir) ---------------------------------
small_corpus() { # DIR COUNT: COUNT files of about 1 KiB, 500 per folder
    python3 - "$1" "$2" <<'EOF'
import os, random, sys
out, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
acts = ["112007410", "113001810", "120001210", "160000310", "610432017", "620000001"]
dis = ["高血圧症", "２型糖尿病", "脂質異常症", "急性上気道炎", "腰痛症", "慢性胃炎"]
for i in range(n):
    d = os.path.join(out, "receipts", f"{i // 500:03d}")
    if i % 500 == 0:
        os.makedirs(d, exist_ok=True)
    lines, size = [f"DUMMY receipt {i:06d} patient {rng.randrange(1, 99999):08d}\n"], 0
    target = rng.randrange(900, 1150)
    while size < target:
        lines.append(f"{rng.choice(acts)} {rng.choice(dis)} {rng.randrange(10, 900)}点 x{rng.randrange(1, 4)}\n")
        size = len("".join(lines).encode())
    with open(os.path.join(d, f"receipt_{i:06d}.txt"), "w", encoding="utf-8") as f:
        f.write("".join(lines))
EOF
}

corpus() { # NAME -> prints the corpus directory, creating it if missing
    local name=$1 dir=$WORK/corpus-$1
    if [ ! -f "$dir.done" ]; then
        rm -rf "$dir"
        echo "== generating corpus $name" >&2
        case "$name" in
            default) "$MAKE_CORPUS" "$dir" --size-mb "$SIZE_MB" >/dev/null ;;
            custom) "$MAKE_CORPUS" "$dir" --size-mb "$SIZE_MB" --custom-dump >/dev/null ;;
            small) mkdir -p "$dir" && small_corpus "$dir" "$SMALL_FILES" ;;
            flat) "$MAKE_CORPUS" "$dir" --size-mb "$FLAT_MB" >/dev/null ;;
            pipe) # one file: the default corpus's files, over and over
                local from rounds; from=$(corpus default)
                rounds=$(( (PIPE_MB << 20) / $(du -sb "$from" | cut -f1) + 1 ))
                mkdir -p "$dir"
                for _ in $(seq 1 "$rounds"); do find "$from" -type f -print0 | sort -z | xargs -0 cat; done \
                    | head -c $((PIPE_MB << 20)) > "$dir/db.dump" || true ;;  # the rest stops at head
        esac
        touch "$dir.done"
    fi
    echo "$dir"
}

# ---- measuring --------------------------------------------------------
# measure LABEL SIDE CMD...: runs CMD under /usr/bin/time -v, appends
# "LABEL SIDE seconds peak_kib" to the results.
measure() {
    local label=$1 side=$2; shift 2
    local tf=$WORK/time.txt
    sync
    if ! /usr/bin/time -v -o "$tf" "$@" >"$WORK/out.txt" 2>"$WORK/err.txt"; then
        echo "bench.sh: '$*' failed:" >&2
        cat "$WORK/err.txt" "$tf" >&2
        exit 1
    fi
    awk -v l="$label" -v s="$side" '
        /Elapsed \(wall clock\)/ { n = split($NF, p, ":"); t = 0; for (i = 1; i <= n; i++) t = t * 60 + p[i] }
        /Maximum resident set size/ { m = $NF }
        END { printf "%s\t%s\t%.3f\t%d\n", l, s, t, m }' "$tf" >> "$RESULTS"
}

kura_pack() { # CORPUS OUT
    rm -f "$2" "$2.custody"
    "$KURA" pack -o "$2" -r "$PUB" -i "$KEY" --approval-id BENCH-1 --approved-by "bench" \
        --purpose "benchmark" --delete-by 2099-12-31 "$1"
}
stock_pack() { # CORPUS OUT
    tar -cf - -C "$(dirname "$1")" "$(basename "$1")" | zstd -T0 -3 -q | age -r "$PUB" > "$2"
}
kura_extract() { # VAULT DEST
    "$KURA" extract "$1" -i "$KEY" --signers "$WORK/signers" -C "$2"
}
stock_extract() { # VAULT DEST
    mkdir -p "$2" && age -d -i "$KEY" "$1" | zstd -d -q | tar -xf - -C "$2"
}
kura_pipe_pack() { # DUMP OUT
    rm -f "$2" "$2.custody"
    cat "$1" | "$KURA" pack -o "$2" -r "$PUB" -i "$KEY" --approval-id BENCH-1 --approved-by "bench" \
        --purpose "benchmark" --delete-by 2099-12-31 --stdin-name db.dump -
}
stock_pipe_pack() { # DUMP OUT
    cat "$1" | zstd -T0 -1 -q | age -r "$PUB" > "$2"
}
kura_pipe_extract() { # VAULT (kura's) STOCK (the .age)
    "$KURA" extract "$1" -i "$KEY" --signers "$WORK/signers" --to-stdout db.dump > /dev/null
}
stock_pipe_extract() { # VAULT (kura's) STOCK (the .age)
    age -d -i "$KEY" "$2" | zstd -d -q > /dev/null
}
export -f kura_pack stock_pack kura_extract stock_extract
export -f kura_pipe_pack stock_pipe_pack kura_pipe_extract stock_pipe_extract
export KURA KEY PUB WORK

scenario() { # NAME: warm-up, then RUNS alternating runs of each side
    local name=$1 dir vault=$WORK/$1.kura piped=$WORK/$1.age dest=$WORK/dest
    dir=$(corpus "$name")
    echo "== $name: warm-up" >&2
    kura_pack "$dir" "$vault" >/dev/null
    stock_pack "$dir" "$piped"
    # Every extract goes to a folder of its own, removed only when the
    # scenario ends: on ext4, creating files right after many were deleted
    # makes the inode allocator skip the recently freed ones one by one
    # (recently_deleted), which can cost either side tens of seconds at
    # 100,000 files and has nothing to do with the tool being measured.
    rm -rf "$dest"; mkdir -p "$dest"
    kura_extract "$vault" "$dest/warm-kura" >/dev/null
    stock_extract "$vault" "$dest/warm-stock"
    for i in $(seq 1 "$RUNS"); do
        echo "== $name: run $i of $RUNS" >&2
        # Alternate which side goes first, so both see the same conditions.
        local order="kura stock"
        [ $((i % 2)) = 0 ] && order="stock kura"
        for side in $order; do
            measure "$name-pack" "$side" bash -c "${side}_pack \"\$1\" \"\$2\"" _ "$dir" "$WORK/$name.$side.out"
        done
        for side in $order; do
            measure "$name-extract" "$side" bash -c "${side}_extract \"\$1\" \"\$2\"" _ "$vault" "$dest/$side-$i"
        done
    done
    rm -rf "$dest"
    printf '%s-size\tkura\t%d\t0\n%s-size\tstock\t%d\t0\n' \
        "$name" "$(stat -c %s "$WORK/$name.kura.out")" "$name" "$(stat -c %s "$WORK/$name.stock.out")" >> "$RESULTS"
    printf '%s-input\tkura\t%d\t0\n' "$name" "$(du -sb "$dir" | cut -f1)" >> "$RESULTS"
}

flat() { # kura alone at a larger input: peak RSS must stay where it was
    local dir vault=$WORK/flat.kura dest=$WORK/dest
    dir=$(corpus flat)
    echo "== flat: $FLAT_MB MiB" >&2
    measure flat-pack kura bash -c 'kura_pack "$1" "$2"' _ "$dir" "$vault"
    rm -rf "$dest"
    measure flat-extract kura bash -c 'kura_extract "$1" "$2"' _ "$vault" "$dest"
    rm -rf "$dest" "$vault" "$vault.custody"
    printf 'flat-input\tkura\t%d\t0\n' "$(du -sb "$dir" | cut -f1)" >> "$RESULTS"
}

pipe() { # a dump read from a pipe: kura pack --stdin-name vs zstd -T0 -1 | age
    local dump vault=$WORK/pipe.kura piped=$WORK/pipe.age
    dump=$(corpus pipe)/db.dump
    echo "== pipe: warm-up" >&2
    kura_pipe_pack "$dump" "$vault" >/dev/null 2>&1
    stock_pipe_pack "$dump" "$piped"
    for i in $(seq 1 "$RUNS"); do
        echo "== pipe: run $i of $RUNS" >&2
        local order="kura stock"
        [ $((i % 2)) = 0 ] && order="stock kura"
        for side in $order; do
            measure pipe-pack "$side" bash -c "${side}_pipe_pack \"\$1\" \"\$2\"" _ "$dump" "$WORK/pipe.$side.out"
        done
        for side in $order; do
            measure pipe-extract "$side" bash -c "${side}_pipe_extract \"\$1\" \"\$2\"" _ "$vault" "$piped"
        done
    done
    printf 'pipe-size\tkura\t%d\t0\npipe-size\tstock\t%d\t0\n' \
        "$(stat -c %s "$WORK/pipe.kura.out")" "$(stat -c %s "$WORK/pipe.stock.out")" >> "$RESULTS"
    printf 'pipe-input\tkura\t%d\t0\n' "$(stat -c %s "$dump")" >> "$RESULTS"
}

for s in default custom small; do
    case ",$ONLY," in *",$s,"*) scenario "$s" ;; esac
done
case ",$ONLY," in *",pipe,"*) pipe ;; esac
case ",$ONLY," in *",flat,"*) flat ;; esac

# ---- the table --------------------------------------------------------
echo
echo "kura benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), runs=$RUNS (alternating kura/stock, after one warm-up)"
echo "load average before the table: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -F'\t' '
function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function stats(key,   n, i, a, lo, hi) {
    n = cnt[key]; lo = 1e18; hi = 0
    for (i = 1; i <= n; i++) { a[i] = val[key, i]; if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
    MED = median(a, n); LO = lo; HI = hi
}
function rss(key,   n, i, hi) { n = cnt[key]; hi = 0; for (i = 1; i <= n; i++) if (mem[key, i] > hi) hi = mem[key, i]; return hi / 1024 }
{ k = $1 SUBSEP $2; cnt[k]++; val[k, cnt[k]] = $3; mem[k, cnt[k]] = $4; seen[$1] = 1 }
END {
    printf "\n%-17s %-25s %-25s %-22s %s\n", "", "kura median (min-max)", "stock median (min-max)", "stock/kura (min-max)", "peak RSS kura / stock"
    split("default custom small pipe", names, " ")
    for (n = 1; n <= 4; n++) for (o = 1; o <= 2; o++) {
        op = (o == 1) ? "pack" : "extract"; l = names[n] "-" op
        if (!((l SUBSEP "kura") in cnt)) continue
        stats(l SUBSEP "kura"); km = MED; kl = LO; kh = HI
        stats(l SUBSEP "stock"); sm = MED; sl = LO; sh = HI
        printf "%-17s %6.2f s (%5.2f-%5.2f)    %6.2f s (%5.2f-%5.2f)    %5.2fx (%4.2f-%4.2f)     %5.1f / %5.1f MiB\n", \
            l, km, kl, kh, sm, sl, sh, sm / km, sl / kh, sh / kl, rss(l SUBSEP "kura"), rss(l SUBSEP "stock")
    }
    printf "\n%-17s %-16s %-16s %s\n", "output size", "kura vault", "stock .age", "kura vs stock"
    for (n = 1; n <= 4; n++) {
        l = names[n] "-size"
        if (!((l SUBSEP "kura") in cnt)) continue
        k = val[l SUBSEP "kura", 1]; s = val[l SUBSEP "stock", 1]
        printf "%-17s %10.1f MiB   %10.1f MiB   %+6.2f%%  (input %.1f MiB)\n", names[n], k / 1048576, s / 1048576, (k / s - 1) * 100, val[names[n] "-input" SUBSEP "kura", 1] / 1048576
    }
    if (("flat-pack" SUBSEP "kura") in cnt) {
        printf "\n%-17s %-16s %-16s %s\n", "flat memory", "peak RSS pack", "peak RSS extract", "wall pack / extract"
        if (("default-pack" SUBSEP "kura") in cnt) {
            stats("default-pack" SUBSEP "kura"); pm = MED
            stats("default-extract" SUBSEP "kura"); em = MED
            printf "%-17s %10.1f MiB   %10.1f MiB   %.2f s / %.2f s (median)\n", sprintf("%.0f MiB input", val["default-input" SUBSEP "kura", 1] / 1048576), \
                rss("default-pack" SUBSEP "kura"), rss("default-extract" SUBSEP "kura"), pm, em
        }
        printf "%-17s %10.1f MiB   %10.1f MiB   %.2f s / %.2f s\n", sprintf("%.0f MiB input", val["flat-input" SUBSEP "kura", 1] / 1048576), \
            rss("flat-pack" SUBSEP "kura"), rss("flat-extract" SUBSEP "kura"), val["flat-pack" SUBSEP "kura", 1], val["flat-extract" SUBSEP "kura", 1]
    }
    printf "\nstock/kura > 1 means kura is faster. Peak RSS: the largest of the runs (for stock, its largest process).\n"
}' "$RESULTS"
