#!/usr/bin/env bash
# Quick start, command 2: the whole test suite against a real Kafka and Elasticsearch.
# Installs what is missing, brings the local stack up, runs lint and tests, and brings
# the stack down again if this script started it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/stage.sh
stage bootstrap scripts/bootstrap.sh
stage browser scripts/browser.sh
stage model scripts/model.sh
bin=.venv/bin

was_running=0
"$bin/socialcare" stack status >/dev/null 2>&1 && was_running=1
stop_stack() {
  if [ "$was_running" = 0 ]; then "$bin/socialcare" stack down || true; fi
}
trap stop_stack EXIT

stage stack "$bin/socialcare" stack up
lint() { "$bin/ruff" check . && "$bin/ruff" format --check .; }
stage lint lint
stage tests "$bin/python" -m pytest "$@"
total
