"""YAML files loaded into strict pydantic models, with every error reported as FILE:LINE."""

from __future__ import annotations

import difflib
import os
import re
import stat
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from checkin_protocol.records import IDENTIFIER_PATTERN

M = TypeVar("M", bound=BaseModel)

# A venue config or a deny list is a few kilobytes; these limits are far above any real file
# and far below what would hang or exhaust a Raspberry Pi. A YAML "billion laughs" alias bomb
# is cheap to write, so nodes are counted as if aliases were expanded, while composing.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NODES = 100_000
MAX_ALIASES = 1_000
MAX_DEPTH = 64

# What PyYAML's reader refuses; checked first so that the error has a line number.
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_BOM_UTF8 = b"\xef\xbb\xbf"
_BOMS_UTF16_32 = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


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


_STR_TAG = "tag:yaml.org,2002:str"


def _walk(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], problems: list[tuple[Path_, int, str]]
) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            sub = (*path, key)
            line = key_node.start_mark.line + 1
            # Every key in our files is text; `true:`, `1:` or `[a]:` would be matched by
            # pydantic under another spelling than the one looked up here for its line.
            if not (isinstance(key_node, yaml.ScalarNode) and key_node.tag == _STR_TAG):
                problems.append((sub, line, "a key must be text (quote it)"))
                continue
            if key in seen:
                problems.append((sub, line, "duplicate key"))
            seen.add(key)
            lines[sub] = line
            _walk(value_node, sub, lines, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            sub = (*path, index)
            lines[sub] = item.start_mark.line + 1
            _walk(item, sub, lines, problems)


class FileRefused(ValueError):
    """A file that must not be read: not a regular file, or larger than its limit."""


def read_limited(path: Path, limit: int) -> bytes:
    """Read a regular file of at most `limit` bytes; anything else is refused before reading.

    /dev/zero would exhaust memory and a FIFO would block forever, so the file is opened
    without blocking, checked with fstat, and read no further than one byte past the limit
    (a file can grow after the check).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise FileRefused(f"cannot read file: {getattr(exc, 'strerror', None) or exc}") from exc
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise FileRefused("a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused("not a regular file (a device, a pipe or a socket)")
        if st.st_size > limit:
            raise FileRefused(f"file is larger than {limit} bytes")
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise FileRefused(f"cannot read file: {exc.strerror}") from exc
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise FileRefused(f"file is larger than {limit} bytes")
    return data


class _Refused(yaml.MarkedYAMLError):
    """A document refused while composing; carries the line of the node that crossed a limit."""


# YAML 1.1, which PyYAML implements, turns `yes`, `no`, `on`, `off` into booleans, `7:30` into
# 450, `0755` into 493 and `<<` into a merge. A venue file means none of that, so plain scalars
# are resolved like YAML 1.2's core schema, and whatever it leaves is text for pydantic to check.
# A leading zero (0755, 007.5) is not a number either: 1.1 reads it as octal, 1.2 as decimal.
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_IMPLICIT: list[tuple[str, re.Pattern[str], str | list[str]]] = [
    ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    (
        "tag:yaml.org,2002:int",
        re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+)$"),
        "-+0123456789",
    ),
    (
        "tag:yaml.org,2002:float",
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]),
]


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core scalars, counting nodes, aliases and depth as it composes.

    PyYAML composes recursively (deep nesting raises RecursionError) and returns the same node
    for every alias, so a few lines can stand for 10⁹ nodes that our walk and pydantic would
    then visit; a recursive alias makes a cycle. All are refused here, before any walk.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0
        self._aliases = 0
        self._sizes: dict[int, int] = {}  # id(node) -> node count with aliases expanded

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(None, None, f"more than {MAX_ALIASES} aliases", event.start_mark)
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in self._sizes:
                raise _Refused(
                    None, None, f"alias *{event.anchor} refers to itself", event.start_mark
                )
            return super().compose_node(parent, index)  # counted in its parent's size
        self._depth += 1
        if self._depth > MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise _Refused(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is None:
            return None
        if isinstance(node, yaml.MappingNode):
            size = 1 + sum(self._sizes[id(k)] + self._sizes[id(v)] for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            size = 1 + sum(self._sizes[id(item)] for item in node.value)
        else:
            size = 1
        # A node's size includes its children's, each alias counting its whole tree again,
        # so the document's expanded size is refused at the first node that crosses the limit.
        if size > MAX_NODES:
            raise _Refused(None, None, "document is too large (aliases expand it)", node.start_mark)
        self._sizes[id(node)] = size
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # Scalar constructors raise plain errors (an int of 5,000 digits, a bad !!binary);
        # give them the node's line like any other YAML error.
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this value: {exc}", node.start_mark
            ) from exc


# Our own table: SafeLoader's (YAML 1.1) must not be inherited, nor changed for other loaders.
_Loader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in _IMPLICIT:
    _Loader.add_implicit_resolver(_tag, _regexp, list(_first))


def _decode(name: str, raw: bytes) -> str:
    if raw.startswith(_BOMS_UTF16_32) or (len(raw) > 1 and b"\x00" in raw[:2]):
        raise ConfigError([ConfigIssue(name, 1, "", "file is UTF-16 or UTF-32; save it as UTF-8")])
    raw = raw.removeprefix(_BOM_UTF8)  # editors on Windows write one; it means UTF-8
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError([ConfigIssue(name, line, "", f"not UTF-8 text: {exc.reason}")]) from exc
    bad = _NON_PRINTABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise ConfigError(
            [ConfigIssue(name, line, "", f"control character {bad.group()!r} is not allowed")]
        )
    return text


def _plain_syntax_error(exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    """The line of a YAML mistake and what it is, in an admin's words rather than the parser's.

    PyYAML finds some mistakes only lines later: a key without its colon is noticed at the
    next line, an unclosed list or quote at the end of the file. Those are reported where
    they begin (the parser's context mark), which is where the admin has to look.
    """
    problem, context = exc.problem or "", exc.context or ""
    at = exc.problem_mark or exc.context_mark
    line = at.line + 1 if at else 1
    began = exc.context_mark.line + 1 if exc.context_mark else line
    if "'\\t'" in problem:
        return line, "YAML syntax: a tab character: indent with spaces (YAML does not allow tabs)"
    if problem == "could not find expected ':'":
        return began, "YAML syntax: a key without ':' after it (write `key: value`)"
    if problem.startswith("mapping values are not allowed"):
        return line, (
            "YAML syntax: a ':' where none can be: indentation? (a key under another lines up "
            "with its neighbours), or quote a value that contains ': '"
        )
    if problem.startswith("expected <block end>"):
        return line, (
            "YAML syntax: this line's indentation does not match the lines above it "
            "(indentation?), or a quoted value has text after its closing quote"
        )
    # Inside [ ] or { }, an unquoted ': ' in a value is met as the same mistake.
    if problem.startswith("expected ',' or ']'"):
        return began, (
            "YAML syntax: the list opened here with '[' is not closed with ']' "
            "(or a value in it has ': ': quote it)"
        )
    if problem.startswith("expected ',' or '}'"):
        return began, (
            "YAML syntax: the mapping opened here with '{' is not closed with '}' "
            "(or a value in it has ': ': quote it)"
        )
    if "quoted scalar" in context:
        return began, "YAML syntax: the quoted text begun here has no closing quote"
    found = re.match(r"found character (\S+) that cannot start any token", problem)
    if found:
        return line, f"YAML syntax: a value cannot start with {found[1]}: put the value in quotes"
    for start, words in _QUOTE_IT:
        if problem.startswith(start):
            return line, f"YAML syntax: {words}"
    return line, f"YAML syntax: {problem}"


# Parser messages for a character YAML gives a meaning to, where the admin meant text.
_QUOTE_IT = (
    (
        "expected alphabetic or numeric character",
        "'&' and '*' start YAML anchors and aliases: put a value that has them in quotes",
    ),
    ("found undefined alias", "'*' starts a YAML alias: put a value that has it in quotes"),
    ("expected chomping", "'|' and '>' start a block of text: put a value that has them in quotes"),
    (
        "expected a comment or a line break",
        "'|' and '>' start a block of text: put a value that has them in quotes",
    ),
    ("expected URI", "'!' starts a YAML tag: put a value that has it in quotes"),
    (
        "could not determine a constructor",
        "'!' starts a YAML tag: put a value that has it in quotes",
    ),
    (
        "expected the node content",
        "a value is missing here (an empty entry in a list or mapping?), or quote it",
    ),
    (
        "sequence entries are not allowed",
        "a '- item' where it cannot be: indentation? (list items go under their key)",
    ),
    ("mapping keys are not allowed", "a key must be a plain word (a '?' starts a complex key)"),
    ("found unhashable key", "a key must be a plain word, not a [list] or {mapping}"),
    (
        "expected '<document start>'",
        "a line that is not `key: value` at the top level (indentation?), or a stray '%'",
    ),
)


def _compose(name: str, text: str) -> tuple[yaml.Node | None, Any]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        if isinstance(exc, _Refused):
            mark = exc.problem_mark
            line, message = (mark.line + 1 if mark else 1), f"YAML: {exc.problem}"
        else:
            line, message = _plain_syntax_error(exc)
        raise ConfigError([ConfigIssue(name, line, "", message)]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigIssue(name, 1, "", f"YAML: {exc}")]) from exc
    finally:
        loader.dispose()
    return node, data


def read_yaml(path: Path) -> tuple[Any, dict[Path_, int]]:
    """Parse a YAML file into plain data and a map from key path to line number."""
    name = str(path)
    try:
        raw = read_limited(path, MAX_FILE_BYTES)
    except FileRefused as exc:
        raise ConfigError([ConfigIssue(name, 1, "", str(exc))]) from exc
    node, data = _compose(name, _decode(name, raw))
    if node is None:
        return {}, {}
    lines: dict[Path_, int] = {(): node.start_mark.line + 1}
    problems: list[tuple[Path_, int, str]] = []
    _walk(node, (), lines, problems)
    if problems:
        raise ConfigError([ConfigIssue(name, line, _dotted(p), msg) for p, line, msg in problems])
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
    "list_type": "must be a list: [a, b], or one '- item' per line under the key",
    "model_type": "must be a mapping: `key: value` lines indented under it (indentation?)",
    "model_attributes_type": "must be a mapping: `key: value` lines indented under it",
    "dict_type": "must be a mapping: `key: value` lines indented under it (indentation?)",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text (put it in quotes)",
}
# The patterns the config's models use, said in words.
_PATTERNS = {
    IDENTIFIER_PATTERN: (
        "must be letters, digits, '_', '.' or '-', starting with a letter or digit "
        "(at most 64), e.g. hq-tower"
    ),
}
_WHOLE = ("int_parsing", "int_type", "int_from_float", "int_parsing_size")
_NUMBER = ("float_parsing", "float_type")
_BOUNDS = {
    "greater_than_equal": ("ge", "must be at least {}"),
    "less_than_equal": ("le", "must be at most {}"),
    "greater_than": ("gt", "must be more than {}"),
    "less_than": ("lt", "must be less than {}"),
}


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation holds (through Optional, list, dict, Annotated, unions)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_models(arg))
    return found


def _tagged(model: type[BaseModel], tag: Any) -> bool:
    """Whether `tag` is the model's `type:` (a Literal), as discriminated unions name it."""
    field = model.model_fields.get("type")
    return field is not None and tag in typing.get_args(field.annotation)


def _field_at(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[list[type[BaseModel]], Any]:
    """The models that may hold the last key of `loc`, and that key's FieldInfo (or None).

    Indexes and discriminator tags in `loc` are passed over: they are not fields.
    """
    current: list[type[BaseModel]] = [model]
    info: Any = None
    for part in loc:
        if isinstance(part, int):
            continue
        owner = next((m for m in current if part in m.model_fields), None)
        if owner is None:  # a tag (camera type), or the unknown key itself
            tagged = [m for m in current if _tagged(m, part)]
            current, info = tagged or current, None
            continue
        info = owner.model_fields[part]
        nested = _models(info.annotation)
        if not nested:
            return current, info
        current = nested
    return current, info


def _example(info: Any, whole: bool) -> str:
    default = info.default if isinstance(info, FieldInfo) else None
    if isinstance(default, int | float) and not isinstance(default, bool):
        return str(default)
    return "200" if whole else "2.5"


def _suggest(given: Any, choices: list[str]) -> str:
    close = difflib.get_close_matches(str(given), choices, n=1, cutoff=0.6)
    return f" — did you mean {close[0]}?" if close else ""


def _number_words(kind: str, ctx: dict[str, Any], given: Any, info: Any) -> str | None:
    if kind in _WHOLE:
        return f"must be a whole number, e.g. {_example(info, True)} (got {given!r})"
    if kind in _NUMBER:
        return f"must be a number, e.g. {_example(info, False)} (got {given!r})"
    if kind == "finite_number":
        return f"must be a finite number, e.g. {_example(info, False)}"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        bound = ctx.get(key)
        whole = isinstance(bound, float) and bound.is_integer()
        return words.format(int(bound) if whole and isinstance(bound, float) else bound)
    return None


def _choice_words(kind: str, ctx: dict[str, Any], given: Any) -> str | None:
    if kind in ("literal_error", "enum", "union_tag_invalid"):
        expected = str(ctx.get("expected", ctx.get("expected_tags", "")))
        choices = re.findall(r"'([^']*)'", expected)
        given = ctx.get("tag", given)
        return f"{given!r} is not one of {', '.join(choices)}{_suggest(given, choices)}"
    if kind == "union_tag_not_found":
        return "needs a `type:` saying which kind it is"
    return None


def _size_words(kind: str, ctx: dict[str, Any]) -> str | None:
    n = ctx.get("max_length") if kind in ("string_too_long", "too_long") else ctx.get("min_length")
    if kind == "string_too_long":
        return f"must be at most {n} characters"
    if kind in ("string_too_short", "too_short"):
        unit = "characters" if kind == "string_too_short" else "items"
        return "must not be empty" if n == 1 else f"must be at least {n} {unit}"
    if kind == "too_long":
        return f"must have at most {n} items"
    return None


def _pattern_words(ctx: dict[str, Any], given: Any) -> str:
    pattern = str(ctx.get("pattern"))
    if pattern.startswith("^[^\\x00"):  # the no-control-characters patterns
        return "must be text without control characters (tabs, line breaks, NUL)"
    for start, words in _PATTERN_STARTS:
        if pattern.startswith(start):
            return words
    return _PATTERNS.get(pattern, f"{given!r} is not in the form this key takes ({pattern})")


# Patterns by how they begin (kiosk/config/*.py), said as what the value must be.
_PATTERN_STARTS = (
    ("^https?://", "must be an http:// or https:// URL"),
    ("^pbkdf2_sha256", "must be a PIN hash as `kiosk guard hash-pin` prints it (pbkdf2_sha256$…)"),
    ("^/\\S", "must be a device path, e.g. /dev/ttyACM0"),
    ("^[0-9a-fA-F]{32}", "must be 32 hexadecimal digits"),
    ("^[0-9]{9,12}", "must be 9 to 12 digits"),
)


def _plain(err: ErrorDetails, model: type[BaseModel]) -> str:
    """A validation error in the admin's words, with a hint where one helps."""
    kind, ctx, given = err["type"], dict(err.get("ctx") or {}), err.get("input")
    owners, info = _field_at(model, tuple(err["loc"]))
    if kind == "extra_forbidden":
        names = sorted({name for m in owners for name in m.model_fields})
        return f"unknown key (a typo?){_suggest(err['loc'][-1], names)}"
    if kind == "path_type":
        return "must be a path to a file or folder (text)"
    if kind == "string_pattern_mismatch":
        return _pattern_words(ctx, given)
    words = (
        _number_words(kind, ctx, given, info)
        or _choice_words(kind, ctx, given)
        or _size_words(kind, ctx)
    )
    if words is not None:
        return words
    return _FRIENDLY.get(kind, err["msg"]).removeprefix("Value error, ")


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
            issues.append(ConfigIssue(str(path), line, _dotted(where), _plain(err, model)))
        raise ConfigError(issues) from exc
    except OSError as exc:
        # A validator that looked at a file the config names and met what it did not expect
        # (every path is checked for length and reachability first): still one line, not a
        # traceback, though without the key.
        why = exc.strerror or str(exc)
        raise ConfigError([ConfigIssue(str(path), 1, "", f"a file it names: {why}")]) from exc
    cross_check = getattr(result, "cross_check", None)
    if cross_check is not None:
        found = [
            ConfigIssue(str(path), _locate(data, where, lines)[1], _dotted(where), msg)
            for where, msg in cross_check()
        ]
        if found:
            raise ConfigError(found)
    return result
