"""YAML configuration files validated by a pydantic model, with errors by file and line.

The person reading the error is editing YAML, not Python: every problem names the
file, the line where the offending key starts, and the key's path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class ConfigFileError(ValueError):
    """The file is invalid; the message names file, line and key."""


def load_yaml(
    path: Path, model: type[M], *, error: type[ConfigFileError] = ConfigFileError, what: str = ""
) -> M:
    """``path`` validated by ``model``; problems raise ``error`` (a ConfigFileError)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror}") from exc
    return parse_yaml(text, model, str(path), error=error, what=what)


def parse_yaml(
    text: str,
    model: type[M],
    source: str,
    *,
    error: type[ConfigFileError] = ConfigFileError,
    what: str = "",
) -> M:
    """``text`` validated by ``model``; ``what`` names the file in messages ("the
    routing file")."""
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise error(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise error(f"{source}:1: {what or 'the file'} must be a mapping of keys")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for problem in exc.errors():
            loc = [p for p in problem["loc"] if not (isinstance(p, str) and "[" in p)]
            key = ".".join(str(p) for p in loc) or "(top level)"
            message = problem["msg"].removeprefix("Value error, ")
            problems.append(f"{source}:{line_of(node, loc)}: {key}: {message}")
        raise error("\n".join(problems)) from exc


def line_of(node: Any, path: list[Any]) -> int:
    """The 1-based line where the deepest key or item that ``path`` reaches starts."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
