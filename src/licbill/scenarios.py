"""Scenario files (TOML): SKUs and events, or workspaces, read into licbill values.

A malformed file raises :class:`ScenarioError` naming the file, the line and the field; a file
is read whole before anything is billed, so nothing is half-applied. Errors the engine raises
later about an event of the file (:meth:`ChargeScenario.iter_charge_lines`,
:meth:`ChargeScenario.locate`) keep their class and gain the event's file, line and field. The
format is documented in ``docs/scenarios.md``.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, TypeVar

import attrs

from . import rulebooks
from .errors import InvalidTypeError, LicbillError, ScenarioError
from .invoice import PriceList
from .legacy import ModuleTrial
from .lines import ChargeLine
from .models import (
    Billing,
    Cancel,
    ChangeQuantity,
    ConvertSku,
    Event,
    Purchase,
    SetAutoRenew,
    Sku,
    SkuKind,
    Term,
)
from .money import Money
from .proration import Rounding
from .reports import WorkspaceUsers
from .rulebooks import Rulebook
from .seats import Counting, Revision
from .workspace import (
    BillingInfo,
    Group,
    LegacyEdition,
    Module,
    User,
    UserKind,
    UserStatus,
    Workspace,
)

__all__ = [
    "ChargeScenario",
    "ScenarioError",
    "WorkspaceScenario",
    "load_charges",
    "load_workspaces",
]

T = TypeVar("T")

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
        from .charges import iter_charge_lines

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

    def line_of(self, table: str, index: int, key: str | None = None) -> int | None:
        """The line of entry *index* of ``[[table]]`` (or of its *key*), counting from 1."""
        header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
        starts = [n for n, text in enumerate(self.lines) if header.match(text)]
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

    def get(
        self,
        entry: Mapping[str, Any],
        key: str,
        convert: Callable[[Any], T],
        *,
        table: str | None = None,
        index: int = 0,
        default: Any = ...,
    ) -> T:
        if key not in entry:
            if default is ...:
                raise self.fail(table, index, key, "missing")
            return default  # type: ignore[no-any-return]
        try:
            return convert(entry[key])
        except LicbillError as error:
            raise self.fail(table, index, key, str(error)) from None
        except (KeyError, ValueError, TypeError, ArithmeticError) as error:
            raise self.fail(table, index, key, f"{entry[key]!r} is not valid ({error})") from None

    def entries(self, table: str) -> list[Mapping[str, Any]]:
        entries = self.data.get(table, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise self.fail(None, 0, table, f"must be an array of tables [[{table}]]")
        return entries

    def unknown_keys(
        self, table: str, index: int, entry: Mapping[str, Any], known: set[str]
    ) -> None:
        for key in entry:
            if key not in known:
                raise self.fail(
                    table, index, key, f"unknown field (known: {', '.join(sorted(known))})"
                )


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValueError("a date is written 2024-05-31, without quotes or time")
    return value


def _currency(value: Any) -> str:
    return Money.zero(_str(value)).currency


def _identifier(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("a non-empty id in quotes")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("text is written in quotes")
    return value


def _enum(kind: type[T], by: Callable[[Any], str] = str) -> Callable[[Any], T]:
    choices = {by(member).lower(): member for member in kind}  # type: ignore[attr-defined]

    def convert(value: Any) -> T:
        if not isinstance(value, str) or value.lower() not in choices:
            raise ValueError(f"choose one of {', '.join(sorted(choices))}")
        member: T = choices[value.lower()]
        return member

    return convert


_TERM = _enum(Term, lambda m: m.name)
_BILLING = _enum(Billing, lambda m: m.value)
_KIND = _enum(SkuKind, lambda m: m.value)
_ROUNDING = _enum(Rounding, lambda m: m.name)
_COUNTING = _enum(Counting, lambda m: m.value)
_MODULE = _enum(Module, lambda m: m.value)
_EDITION = _enum(LegacyEdition, lambda m: m.value)
_USER_KIND = _enum(UserKind, lambda m: m.value)
_STATUS = _enum(UserStatus, lambda m: m.value)


def _modules(value: Any) -> frozenset[Module]:
    if not isinstance(value, list):
        raise ValueError('modules are a list such as ["Hybrid", "Engage"]')
    return frozenset(_MODULE(v) for v in value)


def _names(value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("a list of ids in quotes")
    return frozenset(value)


def _rulebook(value: Any) -> Rulebook:
    if not isinstance(value, str) or value not in RULEBOOKS:
        raise ValueError(f"choose one of {', '.join(sorted(RULEBOOKS))}")
    return RULEBOOKS[value]


_SKU_KEYS = {
    "id",
    "name",
    "unit_price",
    "currency",
    "term",
    "billing",
    "kind",
    "min_quantity",
    "max_quantity",
    "product_id",
}
_EVENT_KEYS = {
    "type",
    "subscription",
    "on",
    "sku",
    "quantity",
    "trial",
    "auto_renew",
    "to",
    "enabled",
    "event_id",
}


def load_charges(source: Source) -> ChargeScenario:
    """Read a charges file (a path or an open file): ``rulebook``, optional ``rounding``,
    ``through``, ``[[sku]]`` and ``[[event]]`` tables. Raises :class:`ScenarioError` for
    anything malformed."""
    reader = _Reader(source)
    data = reader.data
    rulebook = reader.get(data, "rulebook", _rulebook)
    if "rounding" in data:
        rulebook = attrs.evolve(rulebook, rounding=reader.get(data, "rounding", _ROUNDING))
    through = reader.get(data, "through", _date)
    skus: dict[str, Sku] = {}
    for n, entry in enumerate(reader.entries("sku")):
        reader.unknown_keys("sku", n, entry, _SKU_KEYS)
        get = _bound(reader, entry, "sku", n)
        currency = get("currency", _currency)
        sku_id = get("id", _str)
        if sku_id in skus:
            raise reader.fail("sku", n, "id", f"SKU {sku_id!r} is defined twice")
        try:
            skus[sku_id] = Sku(
                id=sku_id,
                name=get("name", _str, default=sku_id),
                unit_price=get("unit_price", lambda v, c=currency: Money(_str(v), c)),
                term=get("term", _TERM),
                billing=get("billing", _BILLING),
                kind=get("kind", _KIND, default=SkuKind.PER_SEAT),
                min_quantity=get("min_quantity", _int, default=1),
                max_quantity=get("max_quantity", _int, default=None),
                product_id=get("product_id", _str, default=""),
            )
        except ScenarioError:
            raise
        except LicbillError as error:  # the SKU's own rules, across its fields
            raise reader.fail("sku", n, None, str(error)) from None

    def sku_of(value: Any) -> Sku:
        if not isinstance(value, str) or value not in skus:
            raise ValueError(f"no [[sku]] has id {value!r}")
        return skus[value]

    events: list[Event] = []
    for n, entry in enumerate(reader.entries("event")):
        reader.unknown_keys("event", n, entry, _EVENT_KEYS)
        try:
            events.append(_event(reader, entry, n, sku_of))
        except ScenarioError:
            raise
        except LicbillError as error:  # the event's own rules, across its fields
            raise reader.fail("event", n, None, str(error)) from None
    origins = tuple(reader.origin("event", n) for n in range(len(events)))
    return ChargeScenario(tuple(events), through, rulebook, path=reader.path, origins=origins)


def _event(
    reader: _Reader, entry: Mapping[str, Any], n: int, sku_of: Callable[[Any], Sku]
) -> Event:
    get = _bound(reader, entry, "event", n)
    kind = get("type", _str)
    common = {"subscription_id": get("subscription", _identifier), "on": get("on", _date)}
    ids = {"event_id": get("event_id", _identifier, default=None)}
    if kind == "purchase":
        event: Event = Purchase(
            **common,
            sku=get("sku", sku_of),
            quantity=get("quantity", _positive, default=1),
            trial=get("trial", _bool, default=False),
            auto_renew=get("auto_renew", _bool, default=True),
            **ids,
        )
    elif kind == "change-quantity":
        event = ChangeQuantity(**common, quantity=get("quantity", _positive), **ids)
    elif kind == "convert":
        event = ConvertSku(
            **common,
            to=get("to", sku_of),
            quantity=get("quantity", _positive, default=None),
            **ids,
        )
    elif kind == "cancel":
        event = Cancel(**common, **ids)
    elif kind == "auto-renew":
        event = SetAutoRenew(**common, enabled=get("enabled", _bool), **ids)
    else:
        raise reader.fail(
            "event",
            n,
            "type",
            f"{kind!r}: choose purchase, change-quantity, convert, cancel or auto-renew",
        )
    return event


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("a whole number")
    return value


def _positive(value: Any) -> int:
    number = _int(value)
    if number < 1:
        raise ValueError("at least 1")
    return number


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _bound(reader: _Reader, entry: Mapping[str, Any], table: str, index: int) -> Callable[..., Any]:
    def get(key: str, convert: Callable[[Any], Any], default: Any = ...) -> Any:
        return reader.get(entry, key, convert, table=table, index=index, default=default)

    return get


_WORKSPACE_KEYS = {
    "id",
    "created_on",
    "company_name",
    "reference",
    "customer_type",
    "industry",
    "edition",
    "default_modules",
    "trial_ends_on",
    "user",
    "group",
    "revision",
}
_USER_KEYS = {
    "id",
    "username",
    "email",
    "first_name",
    "last_name",
    "guest",
    "admin",
    "status",
    "modules",
    "groups",
}


def load_workspaces(source: Source) -> WorkspaceScenario:
    """Read a workspaces file (a path or an open file): ``counting``, optional ``rounding``,
    ``[[price]]`` and ``[[workspace]]`` tables with their ``user``, ``group`` and ``revision``
    lists. Raises :class:`ScenarioError` for anything malformed."""
    reader = _Reader(source)
    data = reader.data
    counting = reader.get(data, "counting", _COUNTING, default=Counting.MONTH_END)
    rounding = reader.get(data, "rounding", _ROUNDING, default=None)
    prices = {}
    for n, entry in enumerate(reader.entries("price")):
        reader.unknown_keys("price", n, entry, {"product", "kind", "amount", "currency"})
        get = _bound(reader, entry, "price", n)
        product_name = get("product", _str)
        product: Module | LegacyEdition
        try:
            product = _MODULE(product_name)
        except ValueError:
            product = get("product", _EDITION)
        key = (product, get("kind", _USER_KIND))
        if key in prices:
            raise reader.fail(
                "price", n, "product", f"{product.value} {key[1].value} is priced twice"
            )
        currency = get("currency", _currency)
        prices[key] = get("amount", lambda v, c=currency: Money(_str(v), c))
    try:
        price_list = PriceList(prices)
    except LicbillError as error:
        raise ScenarioError(reader.path, reader.line_of("price", 0), "price", str(error)) from None
    entries, history = [], {}
    origins: dict[str, Origin] = {}
    trials: dict[str, ModuleTrial] = {}
    for n, entry in enumerate(reader.entries("workspace")):
        reader.unknown_keys("workspace", n, entry, _WORKSPACE_KEYS)
        get = _bound(reader, entry, "workspace", n)
        workspace_id = get("id", _str)
        if workspace_id in origins:
            first = reader.line_of("workspace", list(origins).index(workspace_id), "id")
            raise reader.fail(
                "workspace",
                n,
                "id",
                f"workspace {workspace_id!r} is already defined at line {first}",
            )
        origins[workspace_id] = reader.origin("workspace", n)
        try:
            workspace = Workspace(
                id=workspace_id,
                created_on=get("created_on", _date),
                billing=BillingInfo(
                    company_name=get("company_name", _str, default=""),
                    reference=get("reference", _str, default=""),
                    customer_type=get("customer_type", _str, default=""),
                    industry=get("industry", _str, default=""),
                ),
                edition=get("edition", _EDITION, default=None),
                default_modules=get("default_modules", _modules, default=frozenset()),
            )
        except ScenarioError:
            raise
        except LicbillError as error:  # the workspace's own rules, across its fields
            raise reader.fail("workspace", n, None, str(error)) from None
        users = tuple(get("user", lambda v: [_user(u) for u in _tables(v)], default=[]))
        groups = tuple(get("group", lambda v: [_group(g) for g in _tables(v)], default=[]))
        revisions = get("revision", lambda v: [_revision(r) for r in _tables(v)], default=[])
        trial_ends = get("trial_ends_on", _date, default=None)
        if trial_ends is not None:
            trials[workspace.id] = ModuleTrial(ends_on=trial_ends)
        try:
            entries.append(WorkspaceUsers(workspace=workspace, users=users, groups=groups))
        except LicbillError as error:  # across users and groups
            raise reader.fail("workspace", n, None, str(error)) from None
        history[workspace.id] = tuple(revisions)
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


def _tables(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError("an array of tables")
    return value


def _user(entry: Mapping[str, Any]) -> User:
    unknown = set(entry) - _USER_KEYS
    if unknown:
        raise ValueError(f"unknown user field {sorted(unknown)[0]!r}")
    return User(
        id=_str(entry.get("id")),
        username=_str(entry.get("username", entry.get("id"))),
        email=_str(entry.get("email", "")),
        first_name=_str(entry.get("first_name", "")),
        last_name=_str(entry.get("last_name", "")),
        guest=_bool(entry.get("guest", False)),
        admin=_bool(entry.get("admin", False)),
        status=_STATUS(entry.get("status", "active")),
        modules=_modules(entry.get("modules", [])),
        groups=_names(entry.get("groups", [])),
    )


def _group(entry: Mapping[str, Any]) -> Group:
    return Group(
        id=_str(entry.get("id")),
        name=_str(entry.get("name", "")),
        modules=_modules(entry.get("modules", [])),
    )


def _revision(entry: Mapping[str, Any]) -> Revision:
    on = _date(entry.get("on"))
    if "user" in entry:
        return Revision(on, _user(entry["user"]))
    if "group" in entry:
        return Revision(on, _group(entry["group"]))
    raise ValueError("a revision has a user or a group table")
