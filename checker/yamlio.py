"""Reading YAML configuration safely: no Python objects, dates stay text, and bounded.

``yaml.SafeLoader`` constructs no Python objects; this subclass also leaves
``2026-02-01`` as a string (the schemas validate dates), so an impossible date
is a clear validation error rather than a crash inside the YAML parser.

Limits (checker.limits, documented in the README): a YAML file must be a
regular file of at most ``MAX_YAML_BYTES``; its document, with every alias
followed, holds at most ``MAX_YAML_NODES`` values (a "billion laughs" file of
nested aliases is refused before anything is built from it); an alias may not
refer to the node that contains it; nesting deeper than Python can parse is
refused. Each is a ConfigError naming the file.
"""
from __future__ import annotations

import copy
import stat
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .limits import MAX_YAML_BYTES, MAX_YAML_NODES


class _Loader(yaml.SafeLoader):
    pass


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _TooLarge(Exception):
    pass


class _Recursive(Exception):
    pass


def expanded_size(root: yaml.Node | None, limit: int = MAX_YAML_NODES) -> int:
    """How many values the node graph stands for with every alias followed (stops above ``limit``).

    Linear in the graph (memoised per node), so an exponential expansion is measured, not built."""
    if root is None:
        return 0
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            if total > limit:
                raise _TooLarge
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise _Recursive
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise _Recursive
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def read_config_bytes(path: Path, what: str, limit: int = MAX_YAML_BYTES) -> bytes:
    """A configuration file's bytes: a regular file of at most ``limit`` bytes, else a ConfigError."""
    try:
        info = Path(path).stat()
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{path}: {what} file is not a regular file (a pipe, device or folder)")
        if info.st_size > limit:
            raise ConfigError(f"{path}: {what} file is larger than {_size(limit)}")
        with Path(path).open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what} file ({exc.strerror or 'input/output error'})") from None
    if len(raw) > limit:
        raise ConfigError(f"{path}: {what} file is larger than {_size(limit)}")
    return raw


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit} bytes"


def read_yaml(path: Path, what: str = "YAML") -> Any:
    """Parse one YAML file; every failure is a ConfigError naming the file (and line)."""
    raw = read_config_bytes(path, what)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: cannot read {what} file (not UTF-8)") from None
    return parse_yaml(text, f"{path}")


_PARSED: OrderedDict[str, Any] = OrderedDict()  # text -> document, most recently used last
_PARSED_MAX_FILES = 128
_PARSED_MAX_CHARS = 1 << 18  # only texts up to 256 KiB are kept (at most 32 MiB in all)
_PARSED_LOCK = threading.Lock()
_MISSING = object()


def parse_yaml(text: str, where: str) -> Any:
    """Parse YAML text within the limits; a ConfigError starting with ``where`` otherwise.

    The pure-Python parser takes most of the time of loading the rules (about 0.7 s of CPU for the
    bundled rules), and a process (a test run, a long-lived caller of the API) reads the same files
    again and again: a text that parsed is remembered (a bounded LRU, keyed by the whole text) and
    a fresh deep copy of its document is returned, so callers may still change what they get.
    A text that fails is not remembered: it fails the same way each time."""
    with _PARSED_LOCK:
        known = _PARSED.get(text, _MISSING)
        if known is not _MISSING:
            _PARSED.move_to_end(text)
    if known is not _MISSING:
        return copy.deepcopy(known)
    doc = _parse_yaml(text, where)
    if len(text) <= _PARSED_MAX_CHARS:
        kept = copy.deepcopy(doc)
        with _PARSED_LOCK:
            _PARSED[text] = kept
            while len(_PARSED) > _PARSED_MAX_FILES:
                _PARSED.popitem(last=False)
    return doc


def _parse_yaml(text: str, where: str) -> Any:
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        expanded_size(node)
        return loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{where}: not valid YAML{at}") from None
    except _TooLarge:
        raise ConfigError(f"{where}: YAML expands (aliases followed) to more than {MAX_YAML_NODES} values") from None
    except _Recursive:
        raise ConfigError(f"{where}: YAML alias refers to the value that contains it") from None
    except RecursionError:
        raise ConfigError(f"{where}: YAML nested too deeply to read") from None
    except (ValueError, TypeError, OverflowError):  # a constructor refusing a scalar (e.g. a huge float)
        raise ConfigError(f"{where}: YAML holds a value that cannot be read") from None
    finally:
        if loader is not None:
            loader.dispose()


def node_marks(path: Path, what: str = "YAML") -> dict[tuple, tuple[int, int]]:
    """Where each value of a YAML file starts: JSON-pointer parts (tuple) -> (line, column), 1-based.

    A mapping value is located at its key (where an author looks for it), a list item at its start.
    Read with the same safe loader and limits as ``read_yaml``; {} when the file cannot be read."""
    try:
        text = read_config_bytes(path, what).decode("utf-8")
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            expanded_size(root)
        finally:
            loader.dispose()
    except (ConfigError, UnicodeDecodeError, yaml.YAMLError, _TooLarge, _Recursive, RecursionError):
        return {}
    marks: dict[tuple, tuple[int, int]] = {}
    if root is None:
        return marks
    stack: list[tuple[yaml.Node, tuple, yaml.Node]] = [(root, (), root)]
    seen: set[int] = set()
    while stack:
        node, where, at = stack.pop()
        marks.setdefault(where, (at.start_mark.line + 1, at.start_mark.column + 1))
        if id(node) in seen:   # an alias: located once, at its first use
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    stack.append((value, where + (key.value,), key))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                stack.append((item, where + (i,), item))
    return marks


def locate(marks: dict[tuple, tuple[int, int]], pointer: tuple) -> tuple[int, int]:
    """The line and column of ``pointer``, or of its nearest located parent; (1, 1) when none is."""
    parts = tuple(pointer)
    while parts:
        if parts in marks:
            return marks[parts]
        parts = parts[:-1]
    return marks.get((), (1, 1))
