# Sourced by the quick-start scripts: `stage NAME COMMAND...` runs a stage and says
# how long it took; `total` ends the run with the time of all stages.
SECONDS=${SECONDS:-0}
_run_started=$SECONDS

stage() {
  local name=$1 started=$SECONDS
  shift
  "$@"
  echo "[$name] done in $((SECONDS - started)) s" >&2
}

total() {
  echo "[total] $((SECONDS - _run_started)) s" >&2
}
