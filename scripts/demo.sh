#!/usr/bin/env bash
# Quick start, command 1: the pipeline locally on sample traffic.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/stage.sh
stage bootstrap scripts/bootstrap.sh
stage model scripts/model.sh
stage demo .venv/bin/socialcare demo "$@"
total
