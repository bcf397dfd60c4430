"""Snapshot and restore of a whole reducer, so a process can stop and continue ``feed()``.

:func:`snapshot` turns a :class:`~streamfold.reducer.Reducer` — the model, every decoder's state
(open spans, span stacks, partial tool arguments, reassembly buffers, dedup cursors, usage
accumulators) and the framing buffers — into a JSON-safe structure; :func:`restore` builds an
equal reducer from it. ``to_bytes``/``from_bytes`` wrap both with orjson.

Why not a plain cattrs unstructure: the reducer state is a graph, not a tree. A span points to
its parent and its children; a message part and ``run.tool_calls`` share one ``ToolCall``; the
reducer's indexes point into the model. Unstructuring it as a tree would restore copies where
there was one object, and the restored reducer would update one copy and show the other. The
encoding below therefore keeps identity: the first time a mutable object is met it is written
whole with an ``"id"``, later meetings write ``{"$r": id}``. (:mod:`streamfold.snapshot` is the
cattrs export of the model for reading; this module is for resuming.)

Format (``"format": "streamfold.reducer", "version": 3``)::

    null | true | 1 | 1.5 | "text"                    JSON scalars stand for themselves
    {"$t": "list",  "id": 3, "v": [...]}             list (also "deque" with "maxlen", "set")
    {"$t": "tuple", "v": [...]}                      tuple / frozenset ("frozenset")
    {"$t": "dict",  "id": 4, "v": [[k, v], ...]}     any keys, in insertion order ("odict",
                                                     "ddict" with "factory" for the subclasses)
    {"$t": "bytes", "v": "<base64>"}                 bytes / bytearray ("bytearray", with "id")
    {"$t": "int",   "v": "123456789012345678901"}    integers beyond 64 bits
    {"$t": "enum",  "c": "module:Class", "v": ...}   an enum member (UNSET included)
    {"$t": "obj",   "c": "module:Class", "id": 5, "v": {"field": ...}}
    {"$t": "utf8",  "v": [<base64 pending>, flag], "errors": "replace"}   a UTF-8 decoder
    {"$r": 5}                                        the object written with "id": 5

Only classes from the ``streamfold`` package (and the standard containers above) are restored;
anything else is refused. Version policy: a snapshot states its version; this module reads its
own version and migrates older ones when a migration exists (none yet, so older versions are
refused: version 1 is from before the TanStack decoder kept a retired run's state and the model
kept some of its fields privately; version 2 from before text buffers joined their pieces into
chunks and the TanStack decoder indexed messages by session).
Anything else raises :class:`SnapshotError` and nothing is half-loaded: the new reducer is
returned only once every object was rebuilt.
"""

from __future__ import annotations

import base64
import codecs
import enum
import importlib
from collections import OrderedDict, defaultdict, deque
from typing import TYPE_CHECKING, Any, Final

import orjson

from .errors import UsageError
from .model.text import dumps

if TYPE_CHECKING:
    from .reducer import Reducer

__all__ = ["SNAPSHOT_VERSION", "SnapshotError", "from_bytes", "restore", "snapshot", "to_bytes"]

SNAPSHOT_VERSION: Final = 3
FORMAT: Final = "streamfold.reducer"
_INT64: Final = 2**63
_UTF8_DECODER: Final = type(codecs.getincrementaldecoder("utf-8")())
_ALLOWED_PREFIX: Final = "streamfold."


class SnapshotError(UsageError):
    """A snapshot could not be read: wrong format or version, or damaged content."""


# ------------------------------------------------------------------------------------ encode


class _Encoder:
    def __init__(self) -> None:
        self._ids: dict[int, int] = {}
        self._keep: list[object] = []  # keep encoded objects alive so id() stays unique

    def _ref(self, obj: object) -> tuple[int, bool]:
        key = id(obj)
        known = self._ids.get(key)
        if known is not None:
            return known, True
        new = self._ids[key] = len(self._ids) + 1
        self._keep.append(obj)
        return new, False

    def encode(self, obj: Any) -> Any:
        if obj is None or obj is True or obj is False or type(obj) in (str, float):
            return obj
        if type(obj) is int:
            return obj if -_INT64 <= obj < _INT64 else {"$t": "int", "v": str(obj)}
        if isinstance(obj, enum.Enum):
            return {"$t": "enum", "c": _class_name(type(obj)), "v": self.encode(obj.value)}
        if isinstance(obj, tuple | frozenset):
            tag = "tuple" if isinstance(obj, tuple) else "frozenset"
            return {"$t": tag, "v": [self.encode(x) for x in obj]}
        if isinstance(obj, bytes):
            return {"$t": "bytes", "v": base64.b64encode(obj).decode()}
        ref, seen = self._ref(obj)
        if seen:
            return {"$r": ref}
        kind: type = type(obj)
        if kind is list:
            return {"$t": "list", "id": ref, "v": [self.encode(x) for x in obj]}
        if kind is deque:
            items = [self.encode(x) for x in obj]
            return {"$t": "deque", "id": ref, "v": items, "maxlen": obj.maxlen}
        if kind is set:
            return {"$t": "set", "id": ref, "v": [self.encode(x) for x in obj]}
        if kind is dict or kind is OrderedDict or kind is defaultdict:
            pairs = [[self.encode(k), self.encode(v)] for k, v in obj.items()]
            node = {"$t": _DICT_KINDS[kind], "id": ref, "v": pairs}
            if kind is defaultdict:
                factory = obj.default_factory
                if factory not in _FACTORIES.values():
                    raise SnapshotError(f"cannot snapshot a defaultdict of {factory!r}")
                node["factory"] = factory.__name__
            return node
        if isinstance(obj, bytearray):
            return {"$t": "bytearray", "id": ref, "v": base64.b64encode(obj).decode()}
        if isinstance(obj, _UTF8_DECODER):
            pending, flag = obj.getstate()
            state = [base64.b64encode(pending).decode(), flag]
            return {"$t": "utf8", "id": ref, "v": state, "errors": obj.errors}
        cls = type(obj)
        name = _class_name(cls)
        if not name.startswith(_ALLOWED_PREFIX):
            raise SnapshotError(f"cannot snapshot an object of type {name}")
        fields = {k: self.encode(v) for k, v in _state_of(obj).items()}
        return {"$t": "obj", "c": name, "id": ref, "v": fields}


_DICT_KINDS: Final[dict[type, str]] = {dict: "dict", OrderedDict: "odict", defaultdict: "ddict"}
_FACTORIES: Final[dict[str, Any]] = {f.__name__: f for f in (list, dict, set, int, deque)}


def _class_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _state_of(obj: object) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for klass in type(obj).__mro__:
        for slot in getattr(klass, "__slots__", ()):
            if slot in ("__weakref__", "__dict__") or slot in state:
                continue
            try:
                state[slot] = getattr(obj, slot)
            except AttributeError:
                continue  # an unset slot stays unset
    if hasattr(obj, "__dict__"):
        state.update(vars(obj))
    return state


def snapshot(reducer: Reducer) -> dict[str, Any]:
    """The reducer's complete state as a JSON-safe dict (see the module docstring).

    Raises :class:`SnapshotError` if the state holds an object that cannot be snapshotted (a
    decoder of a foreign package, say).
    """
    state = reducer._persistent_state()
    return {"format": FORMAT, "version": SNAPSHOT_VERSION, "state": _Encoder().encode(state)}


def to_bytes(reducer: Reducer) -> bytes:
    """:func:`snapshot` as compact JSON bytes (a lone surrogate the reducer was given, e.g. in
    an id, is written as U+FFFD; pending surrogate halves of text are kept as code units)."""
    return dumps(snapshot(reducer))


# ------------------------------------------------------------------------------------ decode


class _Decoder:
    def __init__(self) -> None:
        self._objects: dict[int, Any] = {}
        self._classes: dict[str, type] = {}

    def _class(self, name: Any) -> type:
        if type(name) is not str:
            raise SnapshotError(f"bad class name {name!r}")
        cls = self._classes.get(name)
        if cls is None:
            module_name, _, qualname = name.partition(":")
            if not (module_name + ".").startswith(_ALLOWED_PREFIX):
                raise SnapshotError(f"refusing to restore a {name} (not a streamfold class)")
            try:
                target: Any = importlib.import_module(module_name)
                for part in qualname.split("."):
                    target = getattr(target, part)
            except (ImportError, AttributeError) as exc:
                raise SnapshotError(f"unknown class {name} in snapshot") from exc
            if not isinstance(target, type):
                raise SnapshotError(f"{name} is not a class")
            cls = self._classes[name] = target
        return cls

    def _register(self, node: dict[str, Any], obj: Any) -> None:
        ref = node.get("id")
        if type(ref) is not int or ref in self._objects:
            raise SnapshotError(f"bad or repeated object id {ref!r}")
        self._objects[ref] = obj

    def decode(self, node: Any) -> Any:
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is not dict:
            raise SnapshotError(f"unexpected value {node!r:.60}")
        if "$r" in node:
            try:
                return self._objects[node["$r"]]
            except (KeyError, TypeError):
                raise SnapshotError(f"reference to unknown object {node['$r']!r}") from None
        kind = node.get("$t")
        value: Any = node.get("v")
        if kind == "int":
            return int(value)
        if kind == "enum":
            enum_cls = self._class(node.get("c"))
            try:
                return enum_cls(self.decode(value))
            except ValueError as exc:
                raise SnapshotError(str(exc)) from None
        if kind in ("tuple", "frozenset"):
            items = [self.decode(x) for x in _seq(value)]
            return tuple(items) if kind == "tuple" else frozenset(items)
        if kind == "bytes":
            return base64.b64decode(value)
        if kind == "list":
            out: list[Any] = []
            self._register(node, out)
            out.extend(self.decode(x) for x in _seq(value))
            return out
        if kind == "deque":
            maxlen = node.get("maxlen")
            dq: deque[Any] = deque(maxlen=maxlen if type(maxlen) is int else None)
            self._register(node, dq)
            dq.extend(self.decode(x) for x in _seq(value))
            return dq
        if kind == "set":
            items_set: set[Any] = set()
            self._register(node, items_set)
            items_set.update(self.decode(x) for x in _seq(value))
            return items_set
        if kind in ("dict", "odict", "ddict"):
            mapping: dict[Any, Any]
            if kind == "dict":
                mapping = {}
            elif kind == "odict":
                mapping = OrderedDict()
            else:
                factory = _FACTORIES.get(node.get("factory"))  # type: ignore[arg-type]
                if factory is None:
                    raise SnapshotError(f"unknown defaultdict factory {node.get('factory')!r}")
                mapping = defaultdict(factory)
            self._register(node, mapping)
            for pair in _seq(value):
                key, item = _seq(pair)
                mapping[self.decode(key)] = self.decode(item)
            return mapping
        if kind == "bytearray":
            buf = bytearray(base64.b64decode(value))
            self._register(node, buf)
            return buf
        if kind == "utf8":
            pending, flag = _seq(value)
            errors = node.get("errors", "strict")
            if errors not in ("strict", "replace", "ignore", "surrogateescape", "backslashreplace"):
                raise SnapshotError(f"unknown UTF-8 error handler {errors!r}")
            decoder = codecs.getincrementaldecoder("utf-8")(errors)
            decoder.setstate((base64.b64decode(pending), flag))
            self._register(node, decoder)
            return decoder
        if kind == "obj":
            cls = self._class(node.get("c"))
            obj: Any = object.__new__(cls)
            self._register(node, obj)
            if type(value) is not dict:
                raise SnapshotError(f"bad fields for {node.get('c')}")
            for field, item in value.items():
                object.__setattr__(obj, field, self.decode(item))
            return obj
        raise SnapshotError(f"unknown node type {kind!r}")


def _seq(value: Any) -> list[Any]:
    if type(value) is not list:
        raise SnapshotError(f"expected a list, got {value!r:.60}")
    return value


def restore(data: Any) -> Reducer:
    """A reducer equal to the one :func:`snapshot` saw; feed it the frames that came after.

    Raises :class:`SnapshotError` (a :class:`~streamfold.errors.UsageError`) for anything that
    is not a complete snapshot of a supported version.
    """
    from .reducer import Reducer

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SnapshotError("not a streamfold reducer snapshot")
    version = data.get("version")
    if version != SNAPSHOT_VERSION:
        raise SnapshotError(
            f"snapshot version {version!r} is not supported (this streamfold reads version "
            f"{SNAPSHOT_VERSION}); fold the original input again instead"
        )
    try:
        state = _Decoder().decode(data.get("state"))
    except SnapshotError:
        raise
    except Exception as exc:  # damaged content of any kind: refuse whole
        raise SnapshotError(f"damaged snapshot: {type(exc).__name__}: {exc}") from exc
    if not isinstance(state, dict):
        raise SnapshotError("damaged snapshot: state is not a mapping")
    return Reducer._from_persistent_state(state)


def from_bytes(data: bytes) -> Reducer:
    """:func:`restore` from :func:`to_bytes` output."""
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SnapshotError(f"snapshot is not JSON: {exc}") from None
    return restore(parsed)
