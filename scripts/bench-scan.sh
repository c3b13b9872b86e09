#!/bin/sh
# Benchmarks `phiguard scan` against Semgrep on real trees, side by side, with the same jobs.
#
#   scripts/bench-scan.sh TREE...
#
# For every TREE (each is timed on its own; a TREE may be a directory holding several
# repositories) it:
#   1. builds phiguard-scan in release (CARGO_TARGET_DIR=target/scanbench);
#   2. installs Semgrep from PyPI into target/scanbench/semgrep-venv if it is missing;
#   3. counts the files and bytes phiguard scan reads (its extensions, no hidden paths, no
#      .d.ts, at most 2 MiB each), which is the work both tools are credited with;
#   4. times both with hyperfine (or /usr/bin/time when hyperfine is absent), after one untimed
#      phiguard run that warms the page cache; each run writes its JSON report, which gives
#      the findings;
#   5. prints a table: tool, wall seconds, CPU seconds, files/s, MB/s, findings, ratio.
#
# Semgrep runs offline with bench/semgrep/phi-rules.yml, `--metrics=off`, no version check,
# `--x-ignore-semgrepignore-files` (its built-in ignore list would drop test and vendor
# directories that phiguard scans), `--exclude='.*'` (phiguard skips hidden files and
# directories) and `--max-target-bytes 2097152` (phiguard's default limit). Trees without a
# .git directory are walked in full by both tools; .gitignore applies only inside a git work
# tree.
#
# Settings (environment):
#   JOBS=2           worker threads for phiguard (--threads) and Semgrep (--jobs)
#   RUNS=5           timed runs of phiguard scan per tree
#   SEMGREP_RUNS=3   timed runs of Semgrep per tree
#   RESULTS=DIR      where JSON reports and timings go (default target/scanbench/results/DATE);
#                    trees measured before into the same DIR stay in its table, so a slow
#                    tree can be measured with fewer Semgrep runs in a second invocation
#
# The trees (none of them is committed). With network access, a shallow clone does it:
#   git clone --depth 1 https://github.com/Shopify/dawn /tmp/trees/dawn
# In the phiguard sandbox the `fetch` tool brings a bare snapshot to /work/.mirror/OWNER+NAME/repo,
# whose largest blobs may be absent; bench/extract-tree.sh extracts HEAD without them:
#   fetch github:Shopify/dawn
#   fetch github:medusajs/medusa
#   fetch github:saleor/saleor-dashboard
#   fetch github:OpenMage/magento-lts
#   fetch github:terraform-aws-modules/terraform-aws-rds
#   fetch github:terraform-aws-modules/terraform-aws-elasticache
#   m=/work/.mirror
#   bench/extract-tree.sh $m/Shopify+dawn/repo /tmp/trees/dawn
#   bench/extract-tree.sh $m/medusajs+medusa/repo /tmp/trees/commerce/medusa
#   bench/extract-tree.sh $m/saleor+saleor-dashboard/repo /tmp/trees/commerce/saleor-dashboard
#   bench/extract-tree.sh $m/OpenMage+magento-lts/repo /tmp/trees/commerce/magento-lts
#   bench/extract-tree.sh $m/terraform-aws-modules+terraform-aws-rds/repo \
#       /tmp/trees/terraform/terraform-aws-rds
#   bench/extract-tree.sh $m/terraform-aws-modules+terraform-aws-elasticache/repo \
#       /tmp/trees/terraform/terraform-aws-elasticache
#   r=target/scanbench/results/final
#   RESULTS=$r SEMGREP_RUNS=1 scripts/bench-scan.sh /tmp/trees/commerce
#   RESULTS=$r scripts/bench-scan.sh /tmp/trees/dawn /tmp/trees/terraform
# The commits measured are listed in BENCHMARKS.md.
set -eu

if [ "$#" -eq 0 ]; then
    echo "usage: $0 TREE..." >&2
    exit 2
fi
for tree in "$@"; do
    if [ ! -d "$tree" ]; then
        echo "$0: $tree is not a directory" >&2
        exit 2
    fi
done

root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${JOBS:-2}
runs=${RUNS:-5}
semgrep_runs=${SEMGREP_RUNS:-3}
export CARGO_TARGET_DIR="$root/target/scanbench"
results=${RESULTS:-$CARGO_TARGET_DIR/results/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$results"

# Semgrep must never reach the network: no metrics, no version check, rules from a file.
export SEMGREP_SEND_METRICS=off
export SEMGREP_ENABLE_VERSION_CHECK=0

echo "== building phiguard-scan (release)" >&2
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p phiguard-scan \
    --bin phiguard-scan
scanner="$CARGO_TARGET_DIR/release/phiguard-scan"

venv="$CARGO_TARGET_DIR/semgrep-venv"
if [ ! -x "$venv/bin/semgrep" ]; then
    echo "== installing Semgrep into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet semgrep
fi
semgrep="$venv/bin/semgrep"
rules="$root/bench/semgrep/phi-rules.yml"

phiguard_cmd() {
    printf '%s --threads %s --no-progress --fail-on never --format json -o %s %s' \
        "$scanner" "$jobs" "$2" "$1"
}

semgrep_cmd() {
    printf '%s scan --metrics=off --disable-version-check --quiet --jobs %s --config %s %s %s' \
        "$semgrep" "$jobs" "$rules" \
        "--x-ignore-semgrepignore-files --exclude='.*' --max-target-bytes 2097152 --json" \
        "-o $2 $1"
}

# Files and bytes of the types phiguard scan reads, skipping hidden paths as its walker does.
count_tree() {
    find "$1" -name '.*' ! -path "$1" -prune -o -type f \( \
        -name '*.js' -o -name '*.mjs' -o -name '*.cjs' -o -name '*.jsx' \
        -o \( \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' \) ! -name '*.d.ts' \) \
        -o -name '*.tsx' -o -name '*.liquid' -o -name '*.html' -o -name '*.htm' \
        -o -name '*.php' -o -name '*.phtml' -o -name '*.tf' -o -name '*.yaml' -o -name '*.yml' \
        \) -size -2097153c -printf '%s\n' \
        | awk '{ files += 1; bytes += $1 } END { printf "%d %d\n", files, bytes }'
}

# Times COMMAND RUNS times, after WARMUP untimed runs, into FILE (hyperfine JSON, or the same
# shape from /usr/bin/time).
time_command() {
    name=$1
    count=$2
    file=$3
    command=$4
    warmup=$5
    if command -v hyperfine >/dev/null 2>&1; then
        hyperfine --style basic --warmup "$warmup" --runs "$count" --export-json "$file" \
            -n "$name" "$command" >&2
        return
    fi
    if [ "$warmup" -gt 0 ]; then
        sh -c "$command"
    fi
    timings="$file.times"
    : >"$timings"
    i=0
    while [ "$i" -lt "$count" ]; do
        # shellcheck disable=SC2086 # the command is a trusted, space-separated line
        /usr/bin/time -a -o "$timings" -f '%e %U %S' sh -c "$command"
        i=$((i + 1))
    done
    python3 - "$timings" "$name" "$file" <<'EOF'
import json, statistics, sys
rows = [list(map(float, line.split())) for line in open(sys.argv[1]) if line.strip()]
walls = [r[0] for r in rows]
json.dump({"results": [{
    "command": sys.argv[2], "mean": statistics.mean(walls),
    "stddev": statistics.stdev(walls) if len(walls) > 1 else 0.0,
    "user": statistics.mean(r[1] for r in rows), "system": statistics.mean(r[2] for r in rows),
    "times": walls}]}, open(sys.argv[3], "w"))
EOF
}

# Trees measured earlier into the same RESULTS directory stay in its table.
touch "$results/trees.txt"
for tree in "$@"; do
    tree=$(cd "$tree" && pwd)
    name=$(basename "$tree")
    dir="$results/$name"
    mkdir -p "$dir"
    counts=$(count_tree "$tree")
    grep -v "^$name " "$results/trees.txt" >"$results/trees.tmp" || true
    echo "$name $counts" >>"$results/trees.tmp"
    mv "$results/trees.tmp" "$results/trees.txt"
    echo "== $name: ${counts% *} files, ${counts#* } bytes" >&2

    echo "$name: $(uptime)" >>"$results/load.txt"
    # Every timed run writes its report (the last one is kept); phiguard's warm-up run, which
    # is not timed, warms the page cache for both tools.
    time_command phiguard "$runs" "$dir/phiguard-time.json" \
        "$(phiguard_cmd "$tree" "$dir/phiguard.json")" 1
    time_command semgrep "$semgrep_runs" "$dir/semgrep-time.json" \
        "$(semgrep_cmd "$tree" "$dir/semgrep.json")" 0
done

{
    echo "load: $(uptime)"
    echo "phiguard: $(git -C "$root" rev-parse --short HEAD)"
    echo "semgrep: $("$semgrep" --version 2>/dev/null)"
    echo "jobs: $jobs, nproc: $(nproc)"
} >"$results/context.txt"

python3 - "$results" <<'EOF'
import json, os, sys
from collections import Counter

results = sys.argv[1]
trees = [line.split() for line in open(os.path.join(results, "trees.txt")).read().splitlines()]
print(open(os.path.join(results, "context.txt")).read())
print("load before each tree's runs:")
print(open(os.path.join(results, "load.txt")).read())
header = (f"| {'tree':<12} | {'tool':<8} | {'files':>6} | {'MB':>6} | {'wall s':>14} | "
          f"{'CPU s':>7} | {'files/s':>8} | {'MB/s':>6} | {'findings':>8} | {'ratio':>6} |")
print(header)
print("|" + "|".join("-" * (len(cell) + 0) for cell in header.split("|")[1:-1]) + "|")
for name, files, size in trees:
    files, size = int(files), int(size)
    rows = {}
    for tool in ("phiguard", "semgrep"):
        timing = json.load(open(os.path.join(results, name, f"{tool}-time.json")))["results"][0]
        report = json.load(open(os.path.join(results, name, f"{tool}.json")))
        findings = len(report["findings"] if tool == "phiguard" else report["results"])
        rows[tool] = (timing, findings, report)
    semgrep_wall = rows["semgrep"][0]["mean"]
    for tool, (timing, findings, report) in rows.items():
        wall = timing["mean"]
        cpu = timing["user"] + timing["system"]
        spread = timing["stddev"] or 0.0
        print(f"| {name:<12} | {tool:<8} | {files:>6} | {size / 1e6:>6.1f} | "
              f"{wall:>7.2f} ± {spread:>4.2f} | {cpu:>7.2f} | {files / wall:>8.0f} | "
              f"{size / 1e6 / wall:>6.2f} | {findings:>8} | {semgrep_wall / wall:>5.1f}x |")
print()
print("ratio: Semgrep's mean wall time divided by the tool's (throughput relative to Semgrep).")
for name, _, _ in trees:
    phiguard = json.load(open(os.path.join(results, name, "phiguard.json")))
    semgrep = json.load(open(os.path.join(results, name, "semgrep.json")))
    summary = phiguard["summary"]
    by_rule = Counter(f["rule"] for f in phiguard["findings"])
    sg_rule = Counter(r["check_id"].rsplit(".", 1)[-1] for r in semgrep["results"])
    errors = Counter(str(e.get("type", "?"))[:40] for e in semgrep.get("errors", []))
    print(f"{name}: phiguard scanned {summary['files_scanned']} "
          f"({summary['files_prefiltered']} prefiltered, "
          f"{len(summary['files_with_syntax_errors'])} with syntax errors, "
          f"skipped {summary['skipped_by_reason']}), findings {dict(by_rule)}")
    print(f"{name}: semgrep scanned {len(semgrep['paths']['scanned'])}, "
          f"findings {dict(sg_rule)}, errors {dict(errors)}")
EOF
echo "results: $results" >&2
