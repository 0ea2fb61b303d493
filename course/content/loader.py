"""Load YAML keeping the line of every mapping and list, so errors can say where.

PyYAML's composer knows each node's position; we keep it on dict/list subclasses
(`LineDict.line`, `LineDict.key_lines`) rather than a parallel structure, so any code
holding a piece of content can report its line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class ContentError(Exception):
    """A problem in a content file, with where it is."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class LineDict(dict):
    line: int = 0
    key_lines: dict


class LineList(list):
    line: int = 0


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records 1-based line numbers on mappings and sequences."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) or key is None:
            raise ContentError("", key_node.start_mark.line + 1, f"a key must be plain text, not {key!r}")
        if key in result:
            raise ContentError("", key_node.start_mark.line + 1, f"the key '{key}' appears twice")
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = value_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path) -> Any:
    """Parse one YAML file; any failure becomes a ContentError naming file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(path, None, "file not found") from None
    except UnicodeDecodeError as exc:
        raise ContentError(path, None, f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ContentError(path, None, f"cannot read: {exc.strerror}") from None
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except ContentError as exc:
        raise ContentError(path, exc.line, exc.message) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "invalid YAML"
        raise ContentError(path, line, f"invalid YAML: {what}") from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow; it knows only the offset
        line = text[: exc.position].count("\n") + 1
        raise ContentError(path, line, f"invalid YAML: character {exc.character!r} is not allowed") from None
    except yaml.YAMLError as exc:
        raise ContentError(path, 1, f"invalid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise ContentError(path, None, "invalid YAML: nested too deeply") from None
    if data is None:
        raise ContentError(path, 1, "the file is empty")
    return data


def line_of(data: Any, path: list) -> int | None:
    """The line of the deepest node we can reach along a jsonschema-style path."""
    line = getattr(data, "line", None)
    node = data
    for step in path:
        if isinstance(node, LineDict) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
            line = getattr(node, "line", line)
        else:
            break
    return line
