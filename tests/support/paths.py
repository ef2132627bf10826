"""Where the tests find the repository's files."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
