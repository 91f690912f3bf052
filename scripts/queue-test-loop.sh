#!/usr/bin/env bash
# Runs the queue test file N times, one run at a time, without its retry, and counts the passes.
# Usage: scripts/queue-test-loop.sh [N=20] [log folder=/tmp/queue-test-loop]
set -u
n=${1:-20}
logs=${2:-/tmp/queue-test-loop}
mkdir -p "$logs"
pass=0
for i in $(seq 1 "$n"); do
  if QUEUE_TEST_RETRY=0 pnpm vitest run packages/bench/test/queue/queue.test.ts >"$logs/run-$i.log" 2>&1; then
    pass=$((pass + 1))
  else
    echo "run $i failed: $logs/run-$i.log"
  fi
done
echo "queue tests: $pass/$n file runs passed"
