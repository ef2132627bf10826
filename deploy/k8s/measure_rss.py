"""Peak resident memory of each service role while a command runs (the end-to-end
benchmark, usually): the figures the containers' memory requests and limits in
base/*.yaml are sized from (resources.md).

    .venv/bin/python deploy/k8s/measure_rss.py -- .venv/bin/python bench/e2e.py --burst 1500

Runs the command, and every half second reads /proc for the services it started
(descendants of the command only, so other pipelines on the machine do not count).
Each process's peak is the kernel's own high-water mark (VmHWM), so a spike between
two samples is not missed; a role's figure is its largest process (a replica).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from socialcare_dev.pipeline import ROLES as PIPELINE_ROLES

# role -> the `python -m socialcare` arguments that start it
ROLES = {role: command for role, (command, _) in PIPELINE_ROLES.items()}


def _status(pid: int) -> dict[str, str]:
    text = Path(f"/proc/{pid}/status").read_text()
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parents[int(entry.name)] = int(_status(int(entry.name))["PPid"].strip())
        except (OSError, KeyError, ValueError):
            continue
    found = {root}
    grew = True
    while grew:
        new = {pid for pid, parent in parents.items() if parent in found} - found
        found |= new
        grew = bool(new)
    return found - {root}


def _role(pid: int) -> str | None:
    args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    if "socialcare" not in args:
        return None
    rest = args[args.index("socialcare") + 1 :]
    return next((role for role, command in ROLES.items() if rest[:2] == command), None)


def _mib(value: str) -> float:
    return int(value.split()[0]) / 1024  # "123456 kB"


def measure(command: list[str], interval: float = 0.5) -> tuple[int, dict[str, float]]:
    """(the command's exit code, role -> peak RSS in MiB of its largest process)."""
    peaks: dict[int, tuple[str, float]] = {}
    process = subprocess.Popen(command)
    while process.poll() is None:
        for pid in _descendants(process.pid):
            try:
                role = _role(pid)
                if role is not None:
                    peaks[pid] = (role, _mib(_status(pid)["VmHWM"]))
            except (OSError, KeyError):
                continue  # exited between the listing and the read
        time.sleep(interval)
    by_role: dict[str, float] = {}
    for role, peak in peaks.values():
        by_role[role] = max(by_role.get(role, 0.0), peak)
    return process.returncode, by_role


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="+", help="the command to run (after --)")
    args = parser.parse_args()
    code, peaks = measure(args.command)
    print(json.dumps({role: round(mib) for role, mib in sorted(peaks.items())}, indent=2))
    sys.exit(code)


if __name__ == "__main__":
    main()
