"""YAML files loaded into strict pydantic models, with every error reported as FILE:LINE."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

# Cap what we read: a venue config or a deny list is a few kilobytes, and a YAML
# "billion laughs" alias bomb is cheap to write; pyyaml's SafeLoader expands aliases.
M = TypeVar("M", bound=BaseModel)

MAX_FILE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a file, printed as FILE:LINE: key.path: message."""

    file: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.key or '(file)'}: {self.message}"


class ConfigError(Exception):
    """A file could not be loaded; carries every issue found."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = issues


Path_ = tuple[str | int, ...]


def _walk(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], dups: list[tuple[Path_, int]]
) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            sub = (*path, key)
            if key in seen:
                dups.append((sub, key_node.start_mark.line + 1))
            seen.add(key)
            lines[sub] = key_node.start_mark.line + 1
            _walk(value_node, sub, lines, dups)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            sub = (*path, index)
            lines[sub] = item.start_mark.line + 1
            _walk(item, sub, lines, dups)


def _count_nodes(node: yaml.Node) -> Iterator[yaml.Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, yaml.MappingNode):
            for k, v in current.value:
                stack.extend((k, v))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def read_yaml(path: Path) -> tuple[Any, dict[Path_, int]]:
    """Parse a YAML file into plain data and a map from key path to line number."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError([ConfigIssue(name, 0, "", f"cannot read file: {exc.strerror}")]) from exc
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError([ConfigIssue(name, 0, "", f"file is larger than {MAX_FILE_BYTES} bytes")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([ConfigIssue(name, 1, "", f"not UTF-8 text: {exc.reason}")]) from exc
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, {}
        # Expanded aliases show up as shared nodes; refuse documents that blow up in size.
        if sum(1 for _ in _count_nodes(node)) > 100_000:
            raise ConfigError([ConfigIssue(name, 1, "", "document is too large")])
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise ConfigError([ConfigIssue(name, line, "", f"YAML syntax: {exc.problem}")]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigIssue(name, 0, "", f"YAML: {exc}")]) from exc
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {(): node.start_mark.line + 1}
    dups: list[tuple[Path_, int]] = []
    _walk(node, (), lines, dups)
    if dups:
        raise ConfigError(
            [ConfigIssue(name, line, _dotted(p), "duplicate key") for p, line in dups]
        )
    return data, lines


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _locate(data: Any, loc: tuple[Any, ...], lines: dict[Path_, int]) -> tuple[Path_, int]:
    """Map a pydantic error location to the data path it names and that path's line.

    Pydantic puts discriminator tags and validator names into `loc` (e.g.
    ('camera', 'replay', 'fps')); those are skipped because they are not keys in the file.
    """
    path: list[str | int] = []
    current = data
    for part in loc:
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_dict or in_list:
            path.append(part)
            current = current[part]
            continue
        is_tag = isinstance(current, dict) and current.get("type") == part
        is_validator = isinstance(part, str) and part.startswith("function-")
        if is_tag or is_validator:
            continue
        # A missing key: name it, and point at the mapping that lacks it.
        return (*path, part), lines.get(tuple(path), 1)
    return tuple(path), lines.get(tuple(path), 1)


_FRIENDLY = {
    "extra_forbidden": "unknown key (a typo?)",
    "missing": "required key is missing",
}


def load_model(path: Path, model: type[M], context: dict[str, Any] | None = None) -> M:
    """Load and validate a YAML file into `model`, raising ConfigError with FILE:LINE issues."""
    data, lines = read_yaml(path)
    ctx = {"base_dir": path.resolve().parent, **(context or {})}
    try:
        result = model.model_validate(data, context=ctx)
    except ValidationError as exc:
        issues = []
        for err in exc.errors(include_url=False):
            where, line = _locate(data, err["loc"], lines)
            msg = _FRIENDLY.get(err["type"], err["msg"])
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            issues.append(ConfigIssue(str(path), line, _dotted(where), msg))
        raise ConfigError(issues) from exc
    cross_check = getattr(result, "cross_check", None)
    if cross_check is not None:
        found = [
            ConfigIssue(str(path), _locate(data, where, lines)[1], _dotted(where), msg)
            for where, msg in cross_check()
        ]
        if found:
            raise ConfigError(found)
    return result
