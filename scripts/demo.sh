#!/usr/bin/env bash
# Quick start, command 1: the pipeline locally on sample traffic.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/model.sh
exec .venv/bin/socialcare demo "$@"
