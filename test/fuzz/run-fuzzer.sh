#!/usr/bin/env bash
# Runs the model-loader fuzzer for a bounded time from the valid and hostile model files as seeds.
# usage: run-fuzzer.sh FUZZER SEED_DIR WORK_DIR SECONDS
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3 seconds=$4
rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
cp "$seeds"/*.kiln "$work/corpus/"
# New inputs go to the work corpus; a crash leaves its input in artifacts/ (printed below by libFuzzer).
# The IR is parsed in forked children (lib/Model/Isolate.cpp): when hostile bytecode makes one crash or ask
# for too much memory, libFuzzer in that child may still write a crash-/oom- file to artifacts/, but the
# verdict is this process's exit status, which only a failure of the loader itself makes non-zero.
exec "$fuzzer" -max_total_time="$seconds" -timeout=90 -rss_limit_mb=2048 -max_len=8192 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus"
