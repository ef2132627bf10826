"""What a failed end-to-end test shows of the pipeline's processes: their start lines
and the warnings and errors in their logs, so a failure in CI (where the logs go with
the run's temporary directory) says which process stalled or restarted."""

from __future__ import annotations

import json
from pathlib import Path

NOTABLE = {"warning", "error", "critical", "exception"}


def notable_lines(log_dir: Path, per_file: int = 20, width: int = 300) -> str:
    """The last ``per_file`` start, warning and error lines of each log in ``log_dir``."""
    out = []
    for log in sorted(log_dir.glob("*.log")):
        kept = [
            line[:width]
            for line in log.read_text(errors="replace").splitlines()
            if line.startswith("====") or _level(line) in NOTABLE
        ]
        out += [f"--- {log.name} ({len(kept)} notable lines)", *kept[-per_file:]]
    return "\n".join(out)


def _level(line: str) -> str | None:
    try:
        record = json.loads(line)
    except ValueError:
        return "error" if "Traceback" in line else None
    return str(record.get("level", "")).lower() if isinstance(record, dict) else None
