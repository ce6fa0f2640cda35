"""Plain data in and out: licbill's values as JSON-ready dicts, and back (docs/data.md).

One cattrs converter, built once, knows licbill's *leaf* types (money amounts, dates, enums,
sets, mappings) and the event unions; every attrs class and named tuple is handled generically,
field by field, so a field added to a value class flows through without an edit here.

- ``Decimal`` is a string (``"20.00"``, exact), a date an ISO string (``"2024-01-31"``), an
  enum its value; sets are sorted lists, tuples lists.
- A mapping with string or enum keys is an object; any other mapping (a price list keyed by
  product and user kind) a list of ``[key, value]`` pairs.
- Events (and directory events, users and groups, which share unions) carry a ``"type"`` key
  naming their class, so a list of mixed events reads back: ``from_dict(list[lb.Event], data)``.
- Structuring is strict: unknown keys, a bool for an int, a number for a string or a float for
  money are refused. Every problem is reported with the path of the field
  (``[3].quantity``) in one :class:`~licbill.ConversionError`. Rules on values stay in the
  value classes' own validators; their messages are reported at the path of the value.

This is a format edge: rule modules never import it.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Final, TypeVar

import attrs
import cattrs
from cattrs.cols import (
    is_namedtuple,
    namedtuple_dict_structure_factory,
    namedtuple_dict_unstructure_factory,
)
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
    StructureHandlerNotFoundError,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from .._validators import is_whole
from ..charges import ChargeLines
from ..directory import DirectoryEvent
from ..errors import ConversionError, InvalidTypeError, InvalidValueError
from ..lines import ChargeLine, ChargeType, ChargeTypeName
from ..models import Event
from ..workspace import Group, User

__all__ = ["TAG", "build_converter", "converter", "from_dict", "structure_with", "to_dict"]

T = TypeVar("T")

#: The key that names the class of an event (or of any value in a union of classes).
TAG: Final = "type"

_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def _tagged_classes() -> frozenset[type]:
    # The members of licbill's unions of classes: each dict of one says which class it is.
    unions = (Event, DirectoryEvent, User | Group)
    return frozenset(member for union in unions for member in typing.get_args(union))


_TAGGED: Final = _tagged_classes()


# ---------------------------------------------------------------------------------------------
# Leaf types: strict, each error names the value it refuses.


def _structure_int(value: Any, _type: Any) -> int:
    if not is_whole(value):
        raise InvalidTypeError(f"expected an integer, not {value!r}")
    return value


def _structure_str(value: Any, _type: Any) -> str:
    if not isinstance(value, str):
        raise InvalidTypeError(f"expected a string, not {value!r}")
    return value


def _structure_bool(value: Any, _type: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidTypeError(f"expected true or false, not {value!r}")
    return value


def _structure_decimal(value: Any, _type: Any) -> Decimal:
    if not isinstance(value, str):
        raise InvalidTypeError(
            f"expected a decimal number as a string such as '20.00', not {value!r}"
        )
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise InvalidValueError(f"not a decimal number: {value!r}") from None
    if not amount.is_finite():
        raise InvalidValueError(f"expected a finite decimal number, not {value!r}")
    return amount


def _structure_date(value: Any, _type: Any) -> dt.date:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise InvalidTypeError(f"expected an ISO date such as '2024-01-31', not {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidValueError(f"not a calendar date: {value!r}") from None


def _plain_enum(member: enum.Enum) -> str | int:
    """An enum member as data: its value when a string or int, else its name (``Rounding``)."""
    value = member.value
    return value if type(value) in (str, int) else member.name


def _enum_reader(choices: Iterable[enum.Enum]) -> Callable[[Any], enum.Enum]:
    """Read one of *choices* from its plain value, or refuse it naming the allowed values."""
    # Keyed by type too, so 1 and True (or "1" and 1) never stand for each other.
    by_value = {(type(_plain_enum(m)), _plain_enum(m)): m for m in choices}

    def read(value: Any) -> enum.Enum:
        member = by_value.get((type(value), value))
        if member is None:
            allowed = ", ".join(repr(key) for _, key in by_value)
            raise InvalidValueError(f"expected one of {allowed}, not {value!r}")
        return member

    return read


def _enum_structure(cls: type[enum.Enum]) -> Callable[[Any, Any], enum.Enum]:
    read = _enum_reader(cls)
    return lambda value, _type: read(value)


def _json_key(item: Any) -> str:
    return json.dumps(item, sort_keys=True)


def _register_leaves(conv: cattrs.Converter) -> None:
    """Register the strict leaf hooks (numbers, text, money amounts, dates, enums) on *conv*."""
    for leaf, hook in (
        (int, _structure_int),
        (str, _structure_str),
        (bool, _structure_bool),
        (Decimal, _structure_decimal),
        (dt.date, _structure_date),
    ):
        conv.register_structure_hook(leaf, hook)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_unstructure_hook(dt.date, dt.date.isoformat)
    conv.register_structure_hook_factory(_is_enum, _enum_structure)
    conv.register_unstructure_hook_factory(_is_enum, lambda _cls: _plain_enum)


# ---------------------------------------------------------------------------------------------
# Type tests: which hook factory answers for a type.


def _args(type_: Any) -> tuple[Any, ...]:
    return typing.get_args(type_)


def _item_type(type_: Any) -> Any:
    """The item type of a homogeneous container type (``Any`` for a bare ``frozenset``)."""
    return (_args(type_) or (Any,))[0]


def _is_union(type_: Any) -> bool:
    return typing.get_origin(type_) in (typing.Union, types.UnionType)


def _is_enum(type_: Any) -> bool:
    return isinstance(type_, type) and issubclass(type_, enum.Enum)


def _is_class(type_: Any) -> bool:
    return isinstance(type_, type) and (attrs.has(type_) or is_namedtuple(type_))


def _is_set(type_: Any) -> bool:
    return typing.get_origin(type_) in (frozenset, set) or type_ in (frozenset, set)


def _is_sequence(type_: Any) -> bool:
    return typing.get_origin(type_) in (tuple, list) and not is_namedtuple(type_)


def _is_fixed_tuple(type_: Any) -> bool:
    """A tuple of so many items, each of its own type (``tuple[A, B]``, not ``tuple[A, ...]``)."""
    args = _args(type_)
    return typing.get_origin(type_) is tuple and not (len(args) == 2 and args[1] is Ellipsis)


def _is_mapping(type_: Any) -> bool:
    return typing.get_origin(type_) in (Mapping, dict, typing.Mapping)


def _string_keyed(key: Any) -> bool:
    if key is str:
        return True
    members = _args(key) if _is_union(key) else (key,)
    return all(_is_enum(m) and all(isinstance(_plain_enum(x), str) for x in m) for m in members)


# ---------------------------------------------------------------------------------------------
# Collections: element errors carry their index (or key), so the path names them.


def _each(
    items: Iterable[tuple[Any, Any]], structure: Callable[[Any], Any], what: str, cl: Any
) -> list[Any]:
    out, errors = [], []
    for where, item in items:
        try:
            out.append(structure(item))
        except Exception as exc:
            exc.add_note(IterableValidationNote(f"Structuring {what} @ {where!r}", where, cl))
            errors.append(exc)
    if errors:
        raise IterableValidationError(f"While structuring {what}", errors, cl)
    return out


def _a_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise InvalidTypeError(f"expected a list ({what}), not {value!r}")
    return list(value)


# ---------------------------------------------------------------------------------------------
# Classes: attrs classes and named tuples, field by field (new fields need no edit here).


def _untagged(value: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k != TAG}


def _class_unstructure(cls: Any, conv: cattrs.Converter) -> Callable[[Any], Any]:
    if is_namedtuple(cls):
        inner = namedtuple_dict_unstructure_factory(cls, conv)
    else:
        inner = make_dict_unstructure_fn(cls, conv)
    if cls not in _TAGGED:
        return inner
    return lambda value: {TAG: cls.__name__, **inner(value)}


def _class_structure(cls: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    if is_namedtuple(cls):
        inner = namedtuple_dict_structure_factory(cls, conv, True, True)
    else:
        inner = make_dict_structure_fn(
            cls, conv, _cattrs_forbid_extra_keys=True, _cattrs_detailed_validation=True
        )

    def structure(value: Any, _type: Any) -> Any:
        if not isinstance(value, Mapping):
            raise InvalidTypeError(f"expected an object for a {cls.__name__}, not {value!r}")
        if cls in _TAGGED and TAG in value:
            if value[TAG] != cls.__name__:
                raise InvalidValueError(
                    f"{TAG!r} is {value[TAG]!r} where a {cls.__name__} is expected"
                )
            value = _untagged(value)
        return inner(value, cls)

    return structure


# ---------------------------------------------------------------------------------------------
# Unions: of classes, tagged by class name; of enums, by value; optional values.


def _union_structure(union: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    members = [m for m in _args(union) if m is not type(None)]
    optional = len(members) < len(_args(union))
    pick = _union_pick(union, members, conv)

    def structure(value: Any, _type: Any) -> Any:
        if value is None:
            if optional:
                return None
            raise InvalidTypeError("null is not allowed here")
        return pick(value)

    return structure


def _union_pick(union: Any, members: list[Any], conv: cattrs.Converter) -> Callable[[Any], Any]:
    """Read a non-null value as one of *members*: the only one, a tagged class, or an enum."""
    if len(members) == 1:
        inner = conv.get_structure_hook(members[0])
        return lambda value: inner(value, members[0])
    if all(_is_class(m) for m in members):
        return _tagged_pick(members, conv)
    if all(_is_enum(m) for m in members):
        return _enum_reader(x for m in members for x in m)
    raise StructureHandlerNotFoundError(f"licbill cannot read {union!r}", union)


def _tagged_pick(classes: list[Any], conv: cattrs.Converter) -> Callable[[Any], Any]:
    """Read an object as the class its ``"type"`` key names, one of *classes*."""
    by_name = {m.__name__: m for m in classes}

    def pick(value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise InvalidTypeError(f"expected an object with a {TAG!r} key, not {value!r}")
        name = value.get(TAG)
        if name not in by_name:
            raise InvalidValueError(
                f"{TAG!r} must be one of {', '.join(sorted(by_name))}, not {name!r}"
            )
        cls = by_name[name]
        return conv.get_structure_hook(cls)(_untagged(value), cls)

    return pick


def _union_unstructure(union: Any, conv: cattrs.Converter) -> Callable[[Any], Any]:
    # Only a choice between classes needs the tag; an optional value is its class or null.
    choice = len([m for m in _args(union) if m is not type(None)]) > 1

    def unstructure(value: Any) -> Any:
        if value is None:
            return None
        data = conv.unstructure(value, type(value))
        if choice and _is_class(type(value)) and TAG not in data:
            data = {TAG: type(value).__name__, **data}
        return data

    return unstructure


# ---------------------------------------------------------------------------------------------
# Sets and tuples: JSON lists (sets sorted, so the output is deterministic).


def _set_unstructure(type_: Any, conv: cattrs.Converter) -> Callable[[Any], Any]:
    item = _item_type(type_)
    return lambda value: sorted((conv.unstructure(x, item) for x in value), key=_json_key)


def _set_structure(type_: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    item = _item_type(type_)
    hook = conv.get_structure_hook(item)

    def structure(value: Any, _type: Any) -> frozenset[Any]:
        items = _a_list(value, "a set")
        return frozenset(_each(enumerate(items), lambda x: hook(x, item), "set", type_))

    return structure


def _sequence_structure(type_: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    if _is_fixed_tuple(type_):
        return _fixed_tuple_structure(type_, conv)
    container = typing.get_origin(type_)
    item = _item_type(type_)
    hook = conv.get_structure_hook(item)

    def structure(value: Any, _type: Any) -> Any:
        out = _each(enumerate(_a_list(value, "")), lambda x: hook(x, item), "list", type_)
        return container(out)

    return structure


def _fixed_tuple_structure(type_: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    fixed = _args(type_)

    def one(pair: tuple[Any, Any]) -> Any:
        return conv.get_structure_hook(pair[1])(pair[0], pair[1])

    def structure(value: Any, _type: Any) -> tuple[Any, ...]:
        items = _a_list(value, f"of {len(fixed)} items")
        if len(items) != len(fixed):
            raise InvalidValueError(f"expected {len(fixed)} items, not {value!r}")
        pairs = list(enumerate(zip(items, fixed, strict=True)))
        return tuple(_each(pairs, one, "tuple", type_))

    return structure


def _sequence_unstructure(type_: Any, conv: cattrs.Converter) -> Callable[[Any], Any]:
    if _is_fixed_tuple(type_):
        args = _args(type_)
        return lambda value: [conv.unstructure(x, t) for x, t in zip(value, args, strict=True)]
    item = _item_type(type_)
    return lambda value: [conv.unstructure(x, item) for x in value]


def _register_charge_lines(conv: cattrs.Converter) -> None:
    """ChargeLines (a tuple subclass) reads and writes as a list of its lines."""
    conv.register_structure_hook(
        ChargeLines, lambda value, _type: ChargeLines(conv.structure(value, tuple[ChargeLine, ...]))
    )
    conv.register_unstructure_hook(ChargeLines, lambda lines: [conv.unstructure(x) for x in lines])


# ---------------------------------------------------------------------------------------------
# Mappings: objects when keys are strings or enums, else lists of [key, value] pairs.


def _key_value_types(type_: Any) -> tuple[Any, Any]:
    key, val = _args(type_) or (Any, Any)
    return key, val


def _mapping_unstructure(type_: Any, conv: cattrs.Converter) -> Callable[[Any], Any]:
    key, val = _key_value_types(type_)
    if key is ChargeType and val is ChargeTypeName:
        # A rulebook's spellings: the value's kind is its key, so the spelling says it all.
        return lambda value: {_plain_enum(k): v.spelling for k, v in value.items()}
    if _string_keyed(key):
        return lambda value: {
            conv.unstructure(k, key): conv.unstructure(v, val) for k, v in value.items()
        }
    return lambda value: [
        [conv.unstructure(k, key), conv.unstructure(v, val)] for k, v in value.items()
    ]


def _mapping_structure(type_: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    key, val = _key_value_types(type_)
    entry = _entry_reader(key, val, conv)
    string_keyed = _string_keyed(key)

    def structure(value: Any, _type: Any) -> dict[Any, Any]:
        pairs = _object_entries(value) if string_keyed else _pair_entries(value)
        return dict(_each(pairs, entry, "mapping", type_))

    return structure


def _entry_reader(
    key: Any, val: Any, conv: cattrs.Converter
) -> Callable[[tuple[Any, Any]], tuple[Any, Any]]:
    """Read one ``(key, value)`` entry of a mapping of *key* to *val*."""
    key_hook, val_hook = conv.get_structure_hook(key), conv.get_structure_hook(val)
    spellings = key is ChargeType and val is ChargeTypeName

    def entry(pair: tuple[Any, Any]) -> tuple[Any, Any]:
        k = key_hook(pair[0], key)
        if spellings:
            return k, ChargeTypeName(k, _structure_str(pair[1], str))
        return k, val_hook(pair[1], val)

    return entry


def _object_entries(value: Any) -> list[tuple[Any, tuple[Any, Any]]]:
    """A JSON object's entries, each where it stands (its key) and its (key, value) pair."""
    if not isinstance(value, Mapping):
        raise InvalidTypeError(f"expected an object, not {value!r}")
    return [(k, (k, v)) for k, v in value.items()]


def _pair_entries(value: Any) -> list[tuple[Any, tuple[Any, Any]]]:
    """A list of [key, value] pairs' entries, each where it stands (its index) and its pair."""
    items = _a_list(value, "of [key, value] pairs")
    bad = [p for p in items if not isinstance(p, list | tuple) or len(p) != 2]
    if bad:
        raise InvalidTypeError(f"expected [key, value] pairs, not {bad[0]!r}")
    return [(i, (p[0], p[1])) for i, p in enumerate(items)]


# ---------------------------------------------------------------------------------------------
# The converter.

#: The hook factories past the leaves, each with the test for the types it answers.
_FACTORIES: Final = (
    (_is_class, _class_structure, _class_unstructure),
    (_is_union, _union_structure, _union_unstructure),
    (_is_set, _set_structure, _set_unstructure),
    (_is_sequence, _sequence_structure, _sequence_unstructure),
    (_is_mapping, _mapping_structure, _mapping_unstructure),
)


def build_converter() -> cattrs.Converter:
    """A new converter with licbill's hooks, for another format edge to adapt.

    Hooks for classes and containers are made on first use from the converter's leaf hooks, so
    a leaf hook registered on a new converter before it is used (a file format whose dates are
    native, say) applies at every depth. Never register hooks on :func:`converter`'s.
    """
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    _register_leaves(conv)
    # Each factory takes the converter as its second argument (cattrs >= 24.1 passes it).
    for predicate, structure, unstructure in _FACTORIES:
        conv.register_structure_hook_factory(predicate, structure)
        conv.register_unstructure_hook_factory(predicate, unstructure)
    _register_charge_lines(conv)
    return conv


@cache
def converter() -> cattrs.Converter:
    """The one converter :func:`to_dict` and :func:`from_dict` use (built on first use)."""
    return build_converter()


# ---------------------------------------------------------------------------------------------
# Errors: every problem found, each at the path of its field.


def _step(exc: BaseException) -> str:
    for note in getattr(exc, "__notes__", ()):
        if isinstance(note, AttributeValidationNote):
            return f".{note.name}"
        if isinstance(note, IterableValidationNote):
            index = note.index
            return f"[{index}]" if isinstance(index, int) else f"[{index!r}]"
    return ""


def _problems(exc: BaseException, path: str) -> list[tuple[str, str]]:
    if isinstance(exc, ClassValidationError | IterableValidationError):
        found: list[tuple[str, str]] = []
        for sub in exc.exceptions:
            found.extend(_problems(sub, path + _step(sub)))
        return found
    if isinstance(exc, ForbiddenExtraKeysError):
        return [(f"{path}.{key}", "unknown key") for key in sorted(exc.extra_fields)]
    if isinstance(exc, KeyError):
        return [(path, "required, but missing")]
    return [(path, str(exc))]


def _clean(path: str) -> str:
    return path[1:] if path.startswith(".") else path


def from_dict(type: Any, data: Any) -> Any:
    """Read a licbill value of *type* from plain (JSON-ready) *data*; the inverse of to_dict.

    *type* is any licbill value class (``lb.Sku``, ``lb.Purchase``, ``lb.Rulebook``, ...),
    ``lb.Event`` (an event of any kind, by its ``"type"`` key), ``lb.ChargeLines``, or a
    ``list[...]`` / ``tuple[..., ...]`` of those. Raises :class:`~licbill.ConversionError`
    listing every bad field with its path (``[3].quantity``): unknown or missing keys, a value
    of the wrong JSON type, or a value its class's own rules refuse.
    """
    return structure_with(converter(), type, data)


def structure_with(conv: cattrs.Converter, type: Any, data: Any) -> Any:
    """:func:`from_dict` through *conv*, a converter another format edge adapted from
    :func:`build_converter` (the TOML scenario loader's): the same strictness, and the same
    :class:`~licbill.ConversionError` listing every bad field by path."""
    try:
        return conv.structure(data, type)
    except StructureHandlerNotFoundError:
        raise InvalidTypeError(f"licbill cannot convert plain data to {type!r}") from None
    except Exception as exc:
        problems = [(_clean(path), message) for path, message in _problems(exc, "")]
        raise ConversionError(problems, type) from None


def to_dict(value: Any) -> Any:
    """Return *value* as plain, JSON-ready data (``json.dumps`` takes it as it is).

    *value* is a licbill value (an attrs class or :class:`~licbill.ChargeLine`), or a list or
    tuple of them (a :class:`~licbill.ChargeLines`, a list of events). Amounts are strings,
    dates ISO strings, enums their values; events carry a ``"type"`` key. Raises
    :class:`~licbill.InvalidTypeError` for anything else.
    """
    if isinstance(value, list | tuple) and not is_namedtuple(type(value)):
        return [to_dict(item) for item in value]
    if not _is_class(type(value)):
        raise InvalidTypeError(f"to_dict takes a licbill value or a list of them, not {value!r}")
    return converter().unstructure(value, type(value))
