#!/usr/bin/env bash
# Retake the console screenshots in docs/screenshots (README, "Agent console") from
# the browser tests that produce them: the search console over a test index, and the
# inbox over a whole local pipeline (Kafka and Elasticsearch up, the model trained).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/browser.sh
SOCIALCARE_SCREENSHOTS_DIR=docs/screenshots .venv/bin/python -m pytest -q -p no:cacheprovider \
  tests/search/test_console.py tests/e2e/test_console_inbox.py "$@"
