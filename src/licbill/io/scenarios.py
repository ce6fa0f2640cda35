"""Scenario files (TOML): SKUs and events, or workspaces, read into licbill values.

Each table entry is read through licbill's converter (:mod:`licbill.io.convert`, adapted to TOML
by :func:`toml_converter`), as its :class:`Shape` says; the loader itself keeps only the
file's own rules (unique ids, SKU ids that resolve, defaults a file may leave out). A malformed
file raises :class:`ScenarioError` naming the file, the line and the field; a file
is read whole before anything is billed, so nothing is half-applied. Errors the engine raises
later about an event of the file (:meth:`ChargeScenario.iter_charge_lines`,
:meth:`ChargeScenario.locate`) keep their class and gain the event's file, line and field. The
format is documented in ``docs/scenarios.md``.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import IO, Any

import attrs
import cattrs

from .. import rulebooks
from ..errors import (
    ConversionError,
    InvalidTypeError,
    InvalidValueError,
    LicbillError,
    ScenarioError,
)
from ..invoice import PriceList
from ..legacy import ModuleTrial
from ..lines import ChargeLine
from ..models import (
    Cancel,
    ChangeBillingPlan,
    ChangeQuantity,
    ConvertSku,
    ConvertTrial,
    Event,
    Purchase,
    ScheduleChange,
    SetAutoRenew,
    Sku,
)
from ..money import Money
from ..proration import Rounding
from ..rulebooks import Rulebook
from ..seats import Counting, Revision, SeatKey
from ..workspace import Group, LegacyEdition, Module, User, UserKind, Workspace
from .convert import TAG, build_converter, structure_with
from .reports import WorkspaceUsers

__all__ = [
    "EVENT_KINDS",
    "ChargeScenario",
    "ScenarioError",
    "Shape",
    "WorkspaceScenario",
    "event_shape",
    "load_charges",
    "load_workspaces",
    "toml_converter",
]

# Python's default int-str limit: longer integers are not converted.
_LONG_NUMBER = 4300

RULEBOOKS: dict[str, Rulebook] = {
    rulebooks.MARKETPLACE_2019.name: rulebooks.MARKETPLACE_2019,
    rulebooks.NEW_COMMERCE.name: rulebooks.NEW_COMMERCE,
}

#: What a scenario is read from: a path, or an open file (text, or bytes read as UTF-8), such
#: as ``sys.stdin``; errors name an open file by its ``name`` (``<stdin>`` when it has none).
Source = str | Path | IO[str] | IO[bytes]

#: Where an entry of a file starts: its line (from 1, ``None`` if unknown) and its field.
Origin = tuple[int | None, str]


@attrs.frozen
class ChargeScenario:
    """A charges file: its events, horizon and rulebook; ``path`` and ``origins`` say where
    each event was written (``origins[i]`` is the line and field of ``events[i]``)."""

    events: tuple[Event, ...]
    through: dt.date
    rulebook: Rulebook
    path: Path | None = attrs.field(default=None, kw_only=True)
    origins: tuple[Origin, ...] = attrs.field(default=(), kw_only=True, repr=False, eq=False)

    def origin(self, event: object) -> Origin | None:
        """The line and field of *event* in the file (the same object first, else an equal
        event), or ``None`` for an event the file does not hold."""
        pairs = tuple(zip(self.events, self.origins, strict=False))
        found = next((o for e, o in pairs if e is event), None)
        return found or next((o for e, o in pairs if e == event), None)

    def locate(self, error: LicbillError) -> LicbillError:
        """Add the file, line and field of the event *error* names (its ``event``) to *error*,
        in place, keeping its class; return it. Errors about no event of the file are unchanged.
        """
        if not isinstance(error, LicbillError):
            raise InvalidTypeError(f"only a licbill error can be located, not {error!r}")
        origin = self.origin(getattr(error, "event", None))
        if origin is not None and self.path is not None:
            error.add_location(file=self.path, line=origin[0], field=origin[1])
        return error

    def iter_charge_lines(self, *, through: dt.date | None = None) -> Iterator[ChargeLine]:
        """Bill the file's events in date order through *through* (default: the file's),
        lazily; an event the engine refuses is reported with its file, line and field."""
        from ..charges import iter_charge_lines

        ordered = sorted(self.events, key=lambda e: e.on)
        try:
            yield from iter_charge_lines(
                ordered, through=self.through if through is None else through,
                rulebook=self.rulebook,
            )  # fmt: skip
        except LicbillError as error:
            self.locate(error)
            raise


@attrs.frozen
class WorkspaceScenario:
    """A workspaces file: workspaces with users, groups and revisions, prices and a counting."""

    workspaces: tuple[WorkspaceUsers, ...]
    history: Mapping[str, tuple[Revision, ...]]
    prices: PriceList
    counting: Counting
    rounding: Rounding | None
    #: The module trial of each legacy workspace whose table gives ``trial_ends_on``.
    trials: Mapping[str, ModuleTrial] = attrs.field(factory=dict, kw_only=True)
    path: Path | None = attrs.field(default=None, kw_only=True)
    #: The line and field of each workspace, by workspace id.
    origins: Mapping[str, Origin] = attrs.field(factory=dict, kw_only=True, repr=False, eq=False)

    def locate(self, error: LicbillError, *, workspace: str) -> LicbillError:
        """Add the file, line and field of *workspace* (an id) to *error*, in place, keeping
        its class; return it. An error that already has a location keeps it."""
        if not isinstance(error, LicbillError):
            raise InvalidTypeError(f"only a licbill error can be located, not {error!r}")
        origin = self.origins.get(workspace) if isinstance(workspace, str) else None
        if origin is not None and self.path is not None:
            error.add_location(file=self.path, line=origin[0], field=origin[1])
        return error


class _Reader:
    """Reads one parsed file, knowing where each array-of-tables entry starts in the text."""

    def __init__(self, source: Source) -> None:
        if isinstance(source, str | Path):
            path = Path(source)
            read: Callable[[], str | bytes] = lambda: path.read_text(encoding="utf-8")  # noqa: E731
        elif callable(getattr(source, "read", None)):
            name = getattr(source, "name", None)
            path = Path(name if isinstance(name, str) and name else "<stdin>")
            read = source.read
        else:
            raise InvalidTypeError(f"a scenario file is a path or an open file, not {source!r}")
        self.path = path
        self.found: dict[str, list[int]] = {}
        try:
            text = read()
            self.text = text.decode("utf-8") if isinstance(text, bytes) else text
        except OSError as error:
            raise ScenarioError(path, None, "file", error.strerror or str(error)) from None
        except ValueError as error:  # a path with a NUL byte, or text that is not UTF-8
            raise ScenarioError(path, None, "file", str(error)) from None
        if not isinstance(self.text, str):
            raise InvalidTypeError(f"{source!r} read {type(self.text).__name__}, not text")
        self.lines = self.text.split("\n")  # TOML counts lines by "\n" only
        try:
            self.data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as error:
            found = re.search(r"line (\d+)", str(error))
            raise ScenarioError(
                path, int(found[1]) if found else None, "syntax", str(error)
            ) from None
        except RecursionError:
            raise ScenarioError(
                path, None, "syntax", "arrays or tables are nested too deeply to read"
            ) from None
        except ValueError as error:  # an integer longer than Python converts (int-str limit)
            raise self.long_number(str(error)) from None

    def long_number(self, reason: str) -> ScenarioError:
        """The error for a number too long to convert: the first such number's line and key."""
        limit = sys.get_int_max_str_digits() or _LONG_NUMBER
        digits = re.compile(r"(?:([\w\-]+)\s*=\s*)?[+-]?\d[\d_]{" + str(limit) + ",}")
        for n, text in enumerate(self.lines):
            found = digits.search(text)
            if found:
                field = found[1] or "value"
                return ScenarioError(self.path, n + 1, field, f"more than {limit} digits")
        return ScenarioError(self.path, None, "syntax", reason)

    def starts(self, table: str) -> list[int]:
        """The line indexes (from 0) where the entries of ``[[table]]`` start, found once."""
        if table not in self.found:
            header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
            self.found[table] = [n for n, text in enumerate(self.lines) if header.match(text)]
        return self.found[table]

    def line_of(self, table: str, index: int, key: str | None = None) -> int | None:
        """The line of entry *index* of ``[[table]]`` (or of its *key*), counting from 1."""
        starts = self.starts(table)
        if index >= len(starts):
            return None
        start = starts[index]
        if key is None:
            return start + 1
        setting = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for n in range(start + 1, len(self.lines)):
            if self.lines[n].lstrip().startswith("["):
                break
            if setting.match(self.lines[n]):
                return n + 1
        return start + 1

    def top_line(self, key: str) -> int | None:
        setting = re.compile(rf"^\s*{re.escape(key)}\s*=")
        return next((n + 1 for n, text in enumerate(self.lines) if setting.match(text)), None)

    def fail(self, table: str | None, index: int, key: str | None, message: str) -> ScenarioError:
        """The error for *key* of entry *index* of ``[[table]]`` (the entry itself without a
        key; a top-level key without a table)."""
        return ScenarioError(self.path, *self.origin(table, index, key), message)

    def origin(self, table: str | None, index: int, key: str | None = None) -> Origin:
        """The line and field of *key* of entry *index* of ``[[table]]``."""
        if table is None:
            return self.top_line(key or ""), key or ""
        field = f"{table}[{index}]" if key is None else f"{table}[{index}].{key}"
        return self.line_of(table, index, key), field

    def entries(self, table: str) -> list[Mapping[str, Any]]:
        entries = self.data.get(table, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise self.fail(None, 0, table, f"must be an array of tables [[{table}]]")
        return entries


# ---------------------------------------------------------------------------------------------
# Tables read through licbill's converter (docs/data.md), adapted to TOML: native dates, terms
# by name, enums in any case, a SKU given by its id. Each [[table]] entry is reshaped into the
# plain-data shape of its class, structured, and any problem mapped back to its key and line.


@attrs.frozen
class Shape:
    """How the entries of one kind of table read as a licbill class.

    Every key of an entry is a field of *cls*, except the *renames* (TOML key to a dotted field
    path: ``subscription`` to ``subscription_id``, ``currency`` to ``unit_price.currency``)
    and the *extra* keys the loader reads itself; a field that is the target of a rename cannot
    be written under its own name. A field whose type is :class:`Sku` takes a SKU id.
    """

    cls: type
    renames: Mapping[str, str] = attrs.field(factory=dict)
    extra: frozenset[str] = frozenset()

    def known(self) -> frozenset[str]:
        """The keys an entry may have."""
        hidden = {target.split(".")[0] for target in self.renames.values()}
        fields = {f.name for f in attrs.fields(self.cls)} - hidden
        return frozenset(fields | set(self.renames) | self.extra)

    def key_of(self, path: str) -> str | None:
        """The key of an entry that a problem at field *path* is about (``None``: the entry)."""
        if not path:
            return None
        for target_key, target in self.renames.items():
            if path == target or path.startswith(target + "."):
                return target_key
        first = re.split(r"[.\[]", path, maxsplit=1)[0]
        return first if first in self.known() else None


#: The SKU table of a charges file.
SKU_SHAPE = Shape(Sku, {"unit_price": "unit_price.amount", "currency": "unit_price.currency"})


def event_shape(cls: type, **renames: str) -> Shape:
    """The shape of an event kind: its class's fields, ``subscription`` for
    ``subscription_id`` (and any further *renames*), and the ``type`` key naming the kind."""
    return Shape(cls, {"subscription": "subscription_id", **renames}, frozenset({"type"}))


#: The event kinds of a charges file, by their ``type``: one entry per kind. An event's keys are
#: its class's fields, ``subscription`` for ``subscription_id``; a SKU is given by its id.
EVENT_KINDS: dict[str, Shape] = {
    "purchase": event_shape(Purchase),
    "change-quantity": event_shape(ChangeQuantity),
    "convert": event_shape(ConvertSku, target="target_subscription_id"),
    "cancel": event_shape(Cancel),
    "auto-renew": event_shape(SetAutoRenew),
    "schedule-change": event_shape(ScheduleChange),
    "change-billing-plan": event_shape(ChangeBillingPlan),
    "convert-trial": event_shape(ConvertTrial),
}


@attrs.frozen
class _Price:
    """One ``[[price]]`` entry of a workspaces file."""

    product: Module | LegacyEdition
    kind: UserKind
    amount: Money


_PRICE_SHAPE = Shape(_Price, {"amount": "amount.amount", "currency": "amount.currency"})

#: The workspace table of a workspaces file: the billing details are keys of their own.
WORKSPACE_SHAPE = Shape(
    Workspace,
    {key: f"billing.{key}" for key in ("company_name", "reference", "customer_type", "industry")},
    frozenset({"trial_ends_on", "user", "group", "revision"}),
)


def _toml_date(value: Any, _type: Any) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise InvalidTypeError(
            f"a date is written 2024-05-31, without quotes or time, not {value!r}"
        )
    return value


def _spellings(member: Any) -> list[str]:
    # A member reads by its value when that is text ("monthly"), and by its name ("P1M").
    value = member.value
    return [value, member.name] if isinstance(value, str) else [member.name]


def _any_case(*kinds: Any) -> Callable[[Any, Any], Any]:
    choices = {name.casefold(): m for kind in kinds for m in kind for name in _spellings(m)}
    shown = ", ".join(_spellings(m)[0] for kind in kinds for m in kind)

    def structure(value: Any, _type: Any) -> Any:
        if not isinstance(value, str) or value.casefold() not in choices:
            raise InvalidValueError(f"choose one of {shown}, not {value!r}")
        return choices[value.casefold()]

    return structure


@cache
def toml_converter() -> cattrs.Converter:
    """licbill's converter (:func:`licbill.io.convert.build_converter`) as scenario files read.

    TOML dates are native (``on = 2024-01-31``, never a string), enums read by value or name in
    any case (``term = "P1Y"``, ``billing = "monthly"``), and a field that holds a SKU also
    takes one already read (the loader puts the SKU an id names there).
    """
    conv = build_converter()
    conv.register_structure_hook(dt.date, _toml_date)
    conv.register_structure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _any_case
    )
    product = Module | LegacyEdition
    conv.register_structure_hook_func(lambda t: t == product, _any_case(Module, LegacyEdition))
    read_sku = conv.get_structure_hook(Sku)
    conv.register_structure_hook(
        Sku, lambda value, t: value if isinstance(value, Sku) else read_sku(value, t)
    )
    return conv


def _read(reader: _Reader, table: str | None, index: int, key: str | None, kind: Any,
          value: Any) -> Any:  # fmt: skip
    """*value* (the *key* of entry *index* of *table*) read as *kind*, or its ScenarioError."""
    try:
        return structure_with(toml_converter(), kind, value)
    except ConversionError as error:
        raise reader.fail(table, index, key, error.problems[0][1]) from None


def _entry(reader: _Reader, table: str, index: int, entry: Mapping[str, Any], shape: Shape,
           skus: Mapping[str, Sku] | None = None) -> Any:  # fmt: skip
    """Entry *index* of ``[[table]]`` read as *shape*'s class, or a ScenarioError at its key."""
    known = shape.known()
    for key in entry:
        if key not in known:
            raise reader.fail(
                table, index, key, f"unknown field (known: {', '.join(sorted(known))})"
            )
    data: dict[str, Any] = {}
    for key, value in entry.items():
        if key in shape.extra:
            continue
        if skus is not None and key in _sku_fields(shape.cls):
            if not isinstance(value, str) or value not in skus:
                raise reader.fail(table, index, key, f"no [[sku]] has id {value!r}")
            value = skus[value]
        *parents, last = shape.renames.get(key, key).split(".")
        place = data
        for parent in parents:
            place = place.setdefault(parent, {})
        place[last] = value
    conv = toml_converter()
    try:
        return structure_with(conv, shape.cls, data)
    except ConversionError as error:
        path, message = error.problems[0]
        path, message = _blame(conv, shape.cls, data, path, message)
        raise reader.fail(table, index, shape.key_of(path), message) from None


def _blame(conv: cattrs.Converter, cls: Any, data: Any, path: str, message: str
           ) -> tuple[str, str]:  # fmt: skip
    """The field a class's refusal of its whole value at *path* is about, when one field's own
    validator refuses its value (``quantity must be at least 1``); else *path* itself."""
    for step in filter(None, path.split(".")):
        if not attrs.has(cls) or not isinstance(data, Mapping) or step not in data:
            return path, message
        cls, data = attrs.fields_dict(attrs.resolve_types(cls))[step].type, data[step]
    if not attrs.has(cls) or not isinstance(data, Mapping):
        return path, message
    for field in attrs.fields(attrs.resolve_types(cls)):
        if field.validator is None or field.name not in data:
            continue
        # Every field read before the class refused the whole, so each reads again; a
        # validator that needs the rest of the instance is not a rule of its field alone.
        value = conv.structure(data[field.name], field.type)
        try:
            field.validator(None, field, value)
        except LicbillError as error:
            return (f"{path}.{field.name}" if path else field.name), str(error)
        except Exception:  # it looked at the (missing) instance
            continue
    return path, message


@cache
def _sku_fields(cls: type) -> frozenset[str]:
    """The fields of *cls* that hold a SKU (``sku``, ``to``), given in a file by its id."""
    fields = attrs.fields(attrs.resolve_types(cls))
    return frozenset(f.name for f in fields if f.type in (Sku, Sku | None))


def _top(reader: _Reader, key: str, kind: Any, default: Any = ...) -> Any:
    if key not in reader.data:
        if default is ...:
            raise reader.fail(None, 0, key, "missing")
        return default
    return _read(reader, None, 0, key, kind, reader.data[key])


def _rulebook(reader: _Reader) -> Rulebook:
    name = reader.data.get("rulebook")
    if not isinstance(name, str) or name not in RULEBOOKS:  # a list or table is no name
        message = f"choose one of {', '.join(sorted(RULEBOOKS))}, not {name!r}"
        raise reader.fail(None, 0, "rulebook", "missing" if name is None else message)
    return RULEBOOKS[name]


def load_charges(source: Source) -> ChargeScenario:
    """Read a charges file (a path or an open file): ``rulebook``, optional ``rounding``,
    ``through``, ``[[sku]]`` and ``[[event]]`` tables. Raises :class:`ScenarioError` for
    anything malformed."""
    reader = _Reader(source)
    rulebook = _rulebook(reader)
    if "rounding" in reader.data:
        rulebook = attrs.evolve(rulebook, rounding=_top(reader, "rounding", Rounding))
    through = _top(reader, "through", dt.date)
    skus: dict[str, Sku] = {}
    for n, entry in enumerate(reader.entries("sku")):
        if isinstance(entry.get("id"), str) and entry["id"] in skus:
            raise reader.fail("sku", n, "id", f"SKU {entry['id']!r} is defined twice")
        if "name" not in entry and isinstance(entry.get("id"), str):
            entry = {**entry, "name": entry["id"]}  # the name defaults to the id
        changes = entry.get("price_changes")
        if isinstance(changes, list) and all(isinstance(c, dict) for c in changes):
            # A dated price is in the SKU's currency: {on = <date>, unit_price = "<amount>"}.
            money = {"currency": entry.get("currency")}
            entry = {
                **entry,
                "price_changes": [
                    {**c, "unit_price": {**money, "amount": c.get("unit_price")}}
                    if "unit_price" in c
                    else c
                    for c in changes
                ],
            }
        sku = _entry(reader, "sku", n, entry, SKU_SHAPE)
        skus[sku.id] = sku
    events: list[Event] = []
    for n, entry in enumerate(reader.entries("event")):
        kind = entry.get("type")
        if not isinstance(kind, str) or kind not in EVENT_KINDS:
            choices = ", ".join(EVENT_KINDS)
            message = f"{kind!r}: choose {choices}" if "type" in entry else "missing"
            raise reader.fail("event", n, "type", message)
        events.append(_entry(reader, "event", n, entry, EVENT_KINDS[kind], skus))
    origins = tuple(reader.origin("event", n) for n in range(len(events)))
    return ChargeScenario(tuple(events), through, rulebook, path=reader.path, origins=origins)


def load_workspaces(source: Source) -> WorkspaceScenario:
    """Read a workspaces file (a path or an open file): ``counting``, optional ``rounding``,
    ``[[price]]`` and ``[[workspace]]`` tables with their ``user``, ``group`` and ``revision``
    lists. Raises :class:`ScenarioError` for anything malformed."""
    reader = _Reader(source)
    counting = _top(reader, "counting", Counting, Counting.MONTH_END)
    rounding = _top(reader, "rounding", Rounding, None)
    price_list = _price_list(reader)
    entries, history = [], {}
    origins: dict[str, Origin] = {}
    trials: dict[str, ModuleTrial] = {}
    for n, entry in enumerate(reader.entries("workspace")):
        _refuse_second_definition(reader, n, entry, origins)
        workspace = _entry(reader, "workspace", n, entry, WORKSPACE_SHAPE)
        origins[workspace.id] = reader.origin("workspace", n)
        users, groups, revisions, trial = _workspace_parts(reader, n, entry)
        if trial is not None:
            trials[workspace.id] = trial
        try:
            entries.append(
                WorkspaceUsers(workspace=workspace, users=users, groups=groups, history=revisions)
            )
        except LicbillError as error:  # across users and groups
            raise reader.fail("workspace", n, None, str(error)) from None
        history[workspace.id] = revisions
    return WorkspaceScenario(
        tuple(entries),
        history,
        price_list,
        counting,
        rounding,
        trials=trials,
        path=reader.path,
        origins=origins,
    )


def _price_list(reader: _Reader) -> PriceList:
    """The ``[[price]]`` tables as a price list; a product and kind priced twice is refused."""
    prices: dict[SeatKey, Money] = {}
    for n, entry in enumerate(reader.entries("price")):
        price = _entry(reader, "price", n, entry, _PRICE_SHAPE)
        key = (price.product, price.kind)
        if key in prices:
            raise reader.fail(
                "price", n, "product", f"{price.product.value} {price.kind.value} is priced twice"
            )
        prices[key] = price.amount
    try:
        return PriceList(prices)
    except LicbillError as error:
        raise ScenarioError(reader.path, reader.line_of("price", 0), "price", str(error)) from None


def _refuse_second_definition(
    reader: _Reader, n: int, entry: Mapping[str, Any], origins: Mapping[str, Origin]
) -> None:
    """Refuse workspace *n* when an earlier ``[[workspace]]`` has its id, naming that line."""
    workspace_id = entry.get("id")
    if isinstance(workspace_id, str) and workspace_id in origins:
        first = reader.line_of("workspace", list(origins).index(workspace_id), "id")
        raise reader.fail(
            "workspace", n, "id",
            f"workspace {workspace_id!r} is already defined at line {first}",
        )  # fmt: skip


def _workspace_parts(
    reader: _Reader, n: int, entry: Mapping[str, Any]
) -> tuple[Any, Any, Any, ModuleTrial | None]:
    """Workspace *n*'s users, groups and revisions, and its module trial (if any)."""

    def part(key: str, kind: Any, shape: Callable[[Any], Any] = _same) -> Any:
        try:
            value = shape(entry.get(key, []))
        except LicbillError as error:
            raise reader.fail("workspace", n, key, str(error)) from None
        return _read(reader, "workspace", n, key, kind, value)

    users = part("user", tuple[User, ...], _with_usernames)
    groups = part("group", tuple[Group, ...])
    revisions = part("revision", tuple[Revision, ...], _revisions)
    trial = None
    if "trial_ends_on" in entry:
        trial = ModuleTrial(ends_on=part("trial_ends_on", dt.date))
    return users, groups, revisions, trial


def _same(value: Any) -> Any:
    return value


def _with_usernames(users: Any) -> Any:
    """A user's ``username`` defaults to its ``id`` in a file."""
    if not isinstance(users, list):
        return users
    return [
        {"username": user["id"], **user} if isinstance(user, dict) and "id" in user else user
        for user in users
    ]


def _revisions(revisions: Any) -> Any:
    """``{on = ..., user = {...}}`` (or ``group``) as a revision's plain data."""
    if not isinstance(revisions, list):
        return revisions
    shaped = []
    for revision in revisions:
        if not isinstance(revision, dict):
            shaped.append(revision)
            continue
        kinds = [k for k in ("user", "group") if k in revision]
        if len(kinds) != 1:
            raise InvalidValueError("a revision has a user or a group table, not both")
        value = revision[kinds[0]]
        if kinds[0] == "user":
            value = _with_usernames([value])[0]
        tagged = {TAG: kinds[0].title(), **value} if isinstance(value, dict) else value
        rest = {k: v for k, v in revision.items() if k != kinds[0]}
        shaped.append({**rest, "value": tagged})
    return shaped
