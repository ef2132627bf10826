"""What a failed end-to-end test shows of the pipeline's processes: their start lines
and the warnings and errors in their logs, so a failure in CI (where the logs go with
the run's temporary directory) says which process stalled or restarted."""

from __future__ import annotations

import json
import re
from pathlib import Path

NOTABLE = {"warning", "error", "critical", "exception"}
# Progress bars leave a terminal escape (show cursor) before the next record.
ESCAPE = re.compile(r"^(?:\x1b\[[0-9;?]*[A-Za-z])+")


def notable_lines(log_dir: Path, per_file: int = 20, width: int = 300) -> str:
    """The last ``per_file`` notable lines of each log in ``log_dir``: start lines,
    warnings and errors, and anything that is not a structured record (a traceback)."""
    out = []
    for log in sorted(log_dir.glob("*.log")):
        kept = [
            line[:width]
            for line in log.read_text(errors="replace").splitlines()
            if _notable(ESCAPE.sub("", line))
        ]
        out += [f"--- {log.name} ({len(kept)} notable lines)", *kept[-per_file:]]
    return "\n".join(out)


def _notable(line: str) -> bool:
    if not line.strip():
        return False
    if line.startswith("===="):
        return True
    try:
        record = json.loads(line)
    except ValueError:
        return True
    return not isinstance(record, dict) or str(record.get("level", "")).lower() in NOTABLE
