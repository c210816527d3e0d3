#!/usr/bin/env bash
# A fuzzing campaign: builds the targets once, then runs each in turn for
# SECONDS on one core (nice 10), in libFuzzer's fork mode so that a crash, a
# timeout or an out-of-memory is written to artifacts/<target>/ and the
# campaign goes on. Logs in logs/.
#
#   fuzz/campaign.sh SECONDS [TARGET...]    (default: every target but onnx_model)
#   fuzz/campaign.sh 600 onnx_model         (builds tract first: --features onnx)
#
# The last "#N:" line of logs/<target>.log holds the executions run.
set -euo pipefail
cd "$(dirname "$0")"
unset CARGO_TARGET_DIR # cargo fuzz builds in fuzz/target

seconds=${1:?usage: fuzz/campaign.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(tle omm scenario scenario_values checkpoint http_request)
features=()
for target in "${targets[@]}"; do
    [ "$target" = onnx_model ] && features=(--features onnx)
done
mkdir -p logs
nice -n 10 cargo +nightly fuzz build -O -s none "${features[@]}"
bin=target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release

for target in "${targets[@]}"; do
    case "$target" in
        tle | omm | scenario | http_request) dict=(-dict="dict/$target.dict") ;;
        scenario_values) dict=(-dict=dict/scenario.dict) ;;
        *) dict=() ;;
    esac
    mkdir -p "artifacts/$target" "corpus/$target"
    echo "== $target: ${seconds} s ($(date -u +%FT%TZ))"
    nice -n 10 "$bin/$target" "corpus/$target" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -artifact_prefix="artifacts/$target/" "${dict[@]}" \
        > "logs/$target.log" 2>&1 || echo "   exited with $?"
    grep -E '^#[0-9]+:' "logs/$target.log" | tail -1
done
