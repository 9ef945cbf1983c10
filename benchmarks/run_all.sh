#!/usr/bin/env bash
# `make bench`: every benchmark in turn (each prints its own table), its output kept in OUT/NAME.log, then one
# summary of every `ratio NAME VALUE` line they printed, and the benchmarks that failed.
set -uo pipefail
py="$1"
out="${2:-runs/bench}"
mkdir -p "$out"
failed=()
for name in trace_overhead lens_patch cli_startup hspace codes eval_throughput erase attackers kokoro features; do
    echo "== benchmarks/$name.py"
    if ! "$py" "benchmarks/$name.py" 2>&1 | tee "$out/$name.log"; then
        failed+=("$name")
    fi
done
echo
echo "== summary: every ratio (benchmark: ratio NAME VALUE [target])"
grep -H '^ratio ' "$out"/*.log | sed -e "s|^$out/||" -e 's|\.log:|: |'
if [ "${#failed[@]}" -gt 0 ]; then
    echo "failed: ${failed[*]} (see $out/*.log)"
    exit 1
fi
