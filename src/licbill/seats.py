"""Which users hold a billable seat in a month, under each counting policy (docs/workspace.md).

A seat is held by an *active* user for each product it has: in the modules model each module
(its own plus its groups'), in the legacy model the workspace's edition and any trial module.
The count for a month is taken by sweeping the days on which something changed, never by
rebuilding a snapshot per day: users and groups untouched during the month are counted once.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal
from functools import reduce
from itertools import compress, filterfalse, repeat
from operator import attrgetter, is_, mul, or_
from typing import Any

import attrs

from .errors import InvalidTypeError, InvalidValueError, UnknownGroupError
from .explain import SeatExplanation, plain
from .legacy import seat_products
from .money import Money
from .periods import Month, check_date
from .proration import Rounding, RoundingScope
from .workspace import (
    Group,
    LegacyEdition,
    LegacySeats,
    Module,
    User,
    UserKind,
    UserStatus,
    Workspace,
    effective_modules,
    modules_with_groups,
)

__all__ = [
    "Counting",
    "MonthState",
    "Product",
    "Revision",
    "SeatCount",
    "SeatDetail",
    "count_seats",
    "cut_history",
    "explain_seats",
    "month_end_seats",
    "month_end_state",
]

#: What an invoice line bills: a module, or a legacy edition.
Product = Module | LegacyEdition
SeatKey = tuple[Product, UserKind]


class Counting(enum.Enum):
    """How changes inside a month count (the seeds are silent; licbill names the choice)."""

    #: The state on the last day of the month (the default).
    MONTH_END = "month-end"
    #: A seat held on any day of the month counts.
    ANY_DAY = "any-day"
    #: The highest number of seats held on one day.
    PEAK = "peak"
    #: Seat-days divided by the days in the month, priced with a proration rounding policy.
    DAILY_PRORATED = "daily-prorated"


@attrs.frozen
class Revision:
    """A new version of a user or group, in force from ``on`` until its next revision.

    A user leaves the count by a revision with another status; a group loses its modules by a
    revision without them.
    """

    on: dt.date = attrs.field(validator=lambda _i, _a, v: check_date(v, "on"))
    value: User | Group = attrs.field()

    @value.validator
    def _check_value(self, _attribute: Any, value: Any) -> None:
        if not isinstance(value, User | Group):
            raise InvalidTypeError(f"a revision holds a licbill.User or Group, not {value!r}")


@attrs.frozen(kw_only=True)
class SeatDetail:
    """Who held the seats of one product and user kind in one month, and on which days.

    ``spans`` maps each user id holding a seat on some counted day to the stretches of days it
    held it, each ``(first, last)`` inclusive, in date order; ``first_day`` is the first day
    counted (the month's first day, or a later creation or ``since`` day).
    """

    product: Product
    user_kind: UserKind
    month: Month
    first_day: dt.date
    spans: Mapping[str, tuple[tuple[dt.date, dt.date], ...]]

    @property
    def counted_days(self) -> int:
        """The number of days counted, from ``first_day`` to the month's last day."""
        return (self.month.last - self.first_day).days + 1

    def holders_on(self, day: dt.date) -> tuple[str, ...]:
        """The ids of the users holding a seat on *day*, sorted."""
        return tuple(
            sorted(u for u, spans in self.spans.items() if any(a <= day <= b for a, b in spans))
        )

    def held(self, user_id: str) -> int:
        """The number of days *user_id* held a seat."""
        return sum((b - a).days + 1 for a, b in self.spans.get(user_id, ()))


@attrs.frozen
class SeatCount:
    """The seats of one product and user kind in one month, under every counting policy.

    ``held_days`` maps a number of days to how many users held the seat that many days.
    ``detail`` says which users held a seat on which days; :func:`count_seats` records it
    only when asked (``explain=True``), and it takes no part in comparisons.
    """

    month_end: int
    any_day: int
    peak: int
    seat_days: int
    held_days: Mapping[int, int]
    detail: SeatDetail | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)

    def explain(self, *, counting: Counting = Counting.MONTH_END) -> SeatExplanation:
        """Which users the count under *counting* holds, and on which days.

        Needs the ``detail`` of ``count_seats(..., explain=True)``; raises
        :class:`~licbill.InvalidValueError` for a count without it.
        """
        if self.detail is None:
            raise InvalidValueError(
                "this seat count carries no detail: count with count_seats(..., explain=True)"
            )
        return explain_seats(self.detail, counting=counting)

    def count(self, counting: Counting) -> int:
        """The whole number of seats under *counting*: ``MONTH_END``, ``ANY_DAY`` or ``PEAK``.

        ``DAILY_PRORATED`` is no whole count: it is ``seat_days`` over the days in the month,
        and asking for it here raises :class:`InvalidValueError`.
        """
        if counting is Counting.MONTH_END:
            return self.month_end
        if counting is Counting.ANY_DAY:
            return self.any_day
        if counting is Counting.PEAK:
            return self.peak
        raise InvalidValueError(f"{counting} is no whole count: use seat_days and held_days")


def keyed(values: Iterable[Any], kind: type, what: str) -> dict[str, Any]:
    """*values* (users or groups) by id, each checked to be a *kind*; a repeated id is refused.

    Shared with the reports, which take the same collections as :func:`count_seats`.
    """
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidTypeError(
            f"{what} must be a collection of licbill.{kind.__name__}, not {values!r}"
        )
    items = values if isinstance(values, tuple | list) else tuple(values)
    # Whole-collection checks in C first; the slow loop only runs to name the culprit.
    if not set(map(type, items)) <= {kind}:
        for value in items:
            if not isinstance(value, kind):
                raise InvalidTypeError(f"not a licbill.{kind.__name__}: {value!r}")
    keyed = dict(zip(map(_ID, items), items, strict=True))
    if len(keyed) != len(items):
        twice = next(i for i, n in Counter(map(_ID, items)).items() if n > 1)
        raise InvalidValueError(f"two {what} have the id {twice!r}")
    return keyed


_DAY = dt.timedelta(days=1)
_ID = attrgetter("id")
_ON = attrgetter("on")
_GROUPS = attrgetter("groups")
_STATUS = attrgetter("status")
_MODULES = attrgetter("modules")
_GUEST = attrgetter("guest")
_BIT = {module: 1 << n for n, module in enumerate(Module)}
_GUEST_BIT = 1 << len(_BIT)
_MASK_MODULES = {
    mask: frozenset(m for m, bit in _BIT.items() if mask & bit) for mask in range(_GUEST_BIT)
}
#: Every set of modules and its bitmask.
_MODULE_MASKS = {modules: mask for mask, modules in _MASK_MODULES.items()}
_ACTIVE = UserStatus.ACTIVE
_ORDER = {
    (product, kind): n
    for n, (product, kind) in enumerate(
        (product, kind) for product in (*LegacyEdition, *Module) for kind in UserKind
    )
}


class _Holdings:
    """Seats of the users whose state changes during the month, followed day by day."""

    def __init__(
        self, edition: LegacyEdition | None, legacy_seats: LegacySeats, groups: dict[str, Group]
    ) -> None:
        self.edition = edition
        self.legacy_seats = legacy_seats
        self.groups = groups
        self.current: dict[str, frozenset[SeatKey]] = {}
        self.since: dict[str, dt.date] = {}
        self.held: Counter[tuple[str, SeatKey]] = Counter()
        self.delta: Counter[SeatKey] = Counter()
        #: The stretches of days each user held each seat, recorded when explaining.
        self.spans: dict[tuple[str, SeatKey], list[list[dt.date]]] | None = None

    def seats(self, user: User | None) -> frozenset[SeatKey]:
        if user is None:
            return frozenset()
        holds = modules_with_groups(user.modules, user.groups, self.groups, user.id)
        keys = _seat_keys(self.edition, self.legacy_seats, user.status, user.guest, holds)
        return frozenset(keys)

    def start(self, user_id: str, user: User | None, day: dt.date) -> None:
        self.current[user_id] = self.seats(user)
        self.since[user_id] = day

    def change(self, user_id: str, user: User | None, day: dt.date) -> None:
        before, after = self.current.get(user_id, frozenset()), self.seats(user)
        self.close(user_id, day)
        self.current[user_id], self.since[user_id] = after, day
        for key in after - before:
            self.delta[key] += 1
        for key in before - after:
            self.delta[key] -= 1

    def close(self, user_id: str, day: dt.date) -> None:
        since = self.since.get(user_id, day)
        days = (day - since).days
        if days:
            for key in self.current.get(user_id, ()):
                self.held[user_id, key] += days
                if self.spans is not None:
                    stretches = self.spans.setdefault((user_id, key), [])
                    if stretches and stretches[-1][1] == since - _DAY:
                        stretches[-1][1] = day - _DAY
                    else:
                        stretches.append([since, day - _DAY])


def _prepared(
    workspace: Any, users: Any, groups: Any, month: Any, history: Any, since: Any
) -> tuple[dt.date, dict[str, User], dict[str, Group], dict[dt.date, list[Revision]]]:
    # Checks count_seats' input and reads it: the first counted day, the users and groups on
    # that day, and the revisions after it by day, in date order.
    if not isinstance(workspace, Workspace):
        raise InvalidTypeError(f"not a licbill.Workspace: {workspace!r}")
    if not isinstance(month, Month):
        raise InvalidTypeError(f"month must be a licbill.Month, not {month!r}")
    first, last = month.first, month.last
    if last < workspace.created_on:
        raise InvalidValueError(
            f"workspace {workspace.id!r} was created on {workspace.created_on}: "
            f"nothing is billed for {month}, before it existed"
        )
    start = max(first, workspace.created_on)
    if since is not None:
        check_date(since, "since")
        if not first <= since <= last:
            raise InvalidValueError(f"since must be a day in {month}, not {since}")
        start = max(start, since)
    user_map: dict[str, User] = keyed(users, User, "users")
    group_map: dict[str, Group] = keyed(groups, Group, "groups")
    if isinstance(history, str | bytes) or not isinstance(history, Iterable):
        raise InvalidTypeError(f"history must be a collection of licbill.Revision, not {history!r}")
    revisions = sorted(_checked_revisions(history), key=_ON)
    inside: dict[dt.date, list[Revision]] = {}
    for revision in revisions:
        if revision.on <= first or revision.on > last:
            continue  # already in the first day's state, or after the month
        if revision.on <= start:
            _store(revision, user_map, group_map)
        else:
            inside.setdefault(revision.on, []).append(revision)
    return start, user_map, group_map, inside


def month_end_seats(
    workspace: Workspace,
    *,
    users: Iterable[User],
    groups: Iterable[Group] = (),
    month: Month,
    history: Iterable[Revision] = (),
) -> dict[SeatKey, int]:
    """The seats held on *month*'s last day, per product and user kind, those with none left out.

    Takes what :func:`count_seats` takes, raises what it raises, and gives its ``month_end``
    counts, without following the month day by day: the state on the last day is counted once.
    """
    users, groups, history = _listed(users), _listed(groups), _listed(history)  # read twice
    _start, user_map, group_map, inside = _prepared(workspace, users, groups, month, history, None)
    known = group_map.keys() - ()
    # A membership of a group not given raises where count_seats meets it, which depends on
    # the day: such input, and groups first given during the month, go to count_seats. It
    # checks the active users left unchanged, and every version of the others.
    versions: list[User | Group | None] = [
        user_map.get(r.value.id) for rs in inside.values() for r in rs
    ]
    versions += (r.value for rs in inside.values() for r in rs)
    member_of = frozenset().union(*(v.groups for v in versions if isinstance(v, User)))
    for revisions in inside.values():
        for revision in revisions:
            _store(revision, user_map, group_map)
    if member_of | group_map.keys() <= known:
        try:
            held = _active_seats(workspace, _active(user_map.values()), group_map, user_map)
        except UnknownGroupError:
            pass  # count_seats names the user it meets first
        else:
            return {key: held[key] for key in sorted(held, key=_ORDER.__getitem__) if held[key]}
    counts = count_seats(workspace, users=users, groups=groups, month=month, history=history)
    return {key: seat.month_end for key, seat in counts.items() if seat.month_end}


def count_seats(
    workspace: Workspace,
    *,
    users: Iterable[User],
    groups: Iterable[Group] = (),
    month: Month,
    history: Iterable[Revision] = (),
    since: dt.date | None = None,
    explain: bool = False,
) -> dict[SeatKey, SeatCount]:
    """Count the seats of *workspace* in *month*, per product and user kind.

    *users* and *groups* are the state on the month's first day: revisions in *history* dated
    on or before that day are already in it and are ignored, as are revisions dated after the
    month; those inside it are swept (:func:`cut_history` cuts a longer history to one month).
    Days before ``workspace.created_on`` and before *since* (a day inside the month) are not
    counted: ``any_day``, ``peak``, ``seat_days`` and ``held_days`` cover the days from the
    later of the two. Raises :class:`~licbill.InvalidValueError` for a month that ends before
    the workspace was created, :class:`~licbill.UnknownGroupError` for a membership of a group
    not given, and licbill type or value errors for malformed input.

    With ``explain=True`` each count carries its :class:`SeatDetail` (which users held a seat
    on which days, for :meth:`SeatCount.explain`): every user is then followed day by day,
    which is slower, so it is only done when asked. The counts are the same either way.
    """
    if not isinstance(explain, bool):
        raise InvalidTypeError(f"explain must be True or False, not {explain!r}")
    start, user_map, group_map, inside = _prepared(workspace, users, groups, month, history, since)
    last = month.last

    changed_groups = {
        r.value.id for rs in inside.values() for r in rs if isinstance(r.value, Group)
    }
    touched = {r.value.id for rs in inside.values() for r in rs if isinstance(r.value, User)}
    if changed_groups:
        touched.update(u.id for u in user_map.values() if u.groups & changed_groups)
    if explain:  # every user is followed, so each one's days are known
        touched.update(user_map)

    steady: Collection[User] = user_map.values()
    if touched:
        steady = list(map(user_map.__getitem__, filterfalse(touched.__contains__, user_map)))
    holdings = _Holdings(workspace.edition, workspace.legacy_seats, group_map)
    if explain:
        holdings.spans = {}
    # Users that do not change all month count once, grouped by what decides their seats.
    counts = Counter(_active_seats(workspace, _active(steady), group_map, user_map))

    for user_id in touched:
        holdings.start(user_id, user_map.get(user_id), start)
    begin = Counter(key for seats in holdings.current.values() for key in seats)
    running = counts + begin
    peak = Counter(running)
    ever = {user_id: set(seats) for user_id, seats in holdings.current.items()}
    for day in sorted(inside):
        changed_users: set[str] = set()
        for revision in inside[day]:
            _store(revision, user_map, group_map)
            if isinstance(revision.value, User):
                changed_users.add(revision.value.id)
        day_groups = {r.value.id for r in inside[day] if isinstance(r.value, Group)}
        if day_groups:
            changed_users.update(
                user_id
                for user_id in touched
                if user_id in user_map and user_map[user_id].groups & day_groups
            )
        holdings.delta.clear()
        for user_id in sorted(changed_users):
            holdings.change(user_id, user_map.get(user_id), day)
            ever[user_id].update(holdings.current[user_id])
        running.update(holdings.delta)
        for key in holdings.delta:  # only the day's changes can set a new peak
            if running[key] > peak[key]:
                peak[key] = running[key]

    end = last + dt.timedelta(days=1)
    counted_days = (end - start).days
    for user_id in touched:
        holdings.close(user_id, end)
    per_key: dict[SeatKey, dict[int, int]] = {}
    for (_user, k), days in holdings.held.items():
        held_of = per_key.setdefault(k, {})
        held_of[days] = held_of.get(days, 0) + 1
    changing = Counter(key for seats in ever.values() for key in seats)
    result: dict[SeatKey, SeatCount] = {}
    for key in sorted(set(counts) | set(peak), key=_ORDER.__getitem__):
        held = per_key.get(key, {})
        steady_count = counts[key]
        if steady_count:
            held[counted_days] = held.get(counted_days, 0) + steady_count
        result[key] = SeatCount(
            month_end=running[key],
            any_day=steady_count + changing[key],
            peak=peak[key],
            seat_days=sum(days * n for days, n in held.items()),
            held_days=dict(sorted(held.items())),
            detail=_detail(key, month, start, holdings.spans),
        )
    return {key: count for key, count in result.items() if count.any_day}


def _detail(
    key: SeatKey,
    month: Month,
    start: dt.date,
    spans: Mapping[tuple[str, SeatKey], list[list[dt.date]]] | None,
) -> SeatDetail | None:
    if spans is None:
        return None
    return SeatDetail(
        product=key[0],
        user_kind=key[1],
        month=month,
        first_day=start,
        spans={
            user_id: tuple((a, b) for a, b in stretches)
            for (user_id, k), stretches in sorted(spans.items(), key=lambda item: item[0][0])
            if k == key
        },
    )


def explain_seats(
    detail: SeatDetail,
    *,
    counting: Counting,
    unit_price: Money | None = None,
    rounding: Rounding | None = None,
    total: Money | None = None,
    quantity: Decimal | None = None,
) -> SeatExplanation:
    """The :class:`~licbill.explain.SeatExplanation` of *detail* under *counting*.

    With *unit_price* and *total* (an invoice line's, :meth:`~licbill.InvoiceLine.explain`)
    the text goes on to the price and the total; *rounding* is the invoice's policy, if any,
    and *quantity* the line's quantity (a daily-prorated line's seats to four places).
    """
    if not isinstance(counting, Counting):
        raise InvalidTypeError(f"counting must be a licbill.Counting, not {counting!r}")
    product, kind, month = detail.product, detail.user_kind, detail.month
    what = "module" if isinstance(product, Module) else "edition"
    head = f"{product.value}, {kind.value} users, {month}, {counting.name}: "
    days = month.days
    held = {user_id: detail.held(user_id) for user_id in detail.spans}
    if counting is Counting.MONTH_END:
        users = detail.holders_on(month.last)
        body = f"{_users(users)} active with the {what} on {month.last}{_ids(users)}"
        seats = Decimal(len(users))
    elif counting is Counting.ANY_DAY:
        users = tuple(sorted(held))
        body = (
            f"{_users(users)} active with the {what} on some day from {detail.first_day} to "
            f"{month.last}{_ids(users)}"
        )
        seats = Decimal(len(users))
    elif counting is Counting.PEAK:
        day, users = detail.first_day, detail.holders_on(detail.first_day)
        for n in range(1, detail.counted_days):
            other = detail.first_day + dt.timedelta(days=n)
            on_day = detail.holders_on(other)
            if len(on_day) > len(users):
                day, users = other, on_day
        body = f"{_users(users)} active with the {what} on {day}, the most on one day{_ids(users)}"
        seats = Decimal(len(users))
    else:
        users = tuple(sorted(held))
        seat_days = sum(held.values())
        each = ", ".join(f"{u} {held[u]}{_stretches(detail, u)}" for u in users)
        seats = quantity if quantity is not None else Decimal(seat_days) / days
        body = (
            f"{seat_days} seat-days of {_users(users)} ({each}) / {days} days = "
            f"{plain(seats)} seats"
        )
    text = head + body
    if unit_price is not None and total is not None:
        if counting is Counting.DAILY_PRORATED and rounding is not None:
            per = "each user's share" if rounding.scope is RoundingScope.PER_UNIT else "the sum"
            text += f" x {unit_price}, rounding {per} ({rounding.name}) = {total}"
        elif rounding is not None:
            text += f" x {unit_price} ({rounding.name}) = {total}"
        else:
            text += f" x {unit_price} = {total}"
    return SeatExplanation(
        product=product,
        user_kind=kind,
        month=month,
        counting=counting,
        users=users,
        held_days=held,
        seats=seats,
        unit_price=unit_price,
        rounding=rounding,
        total=total,
        text=text,
    )


def _users(users: Collection[str]) -> str:
    return f"{len(users)} user" if len(users) == 1 else f"{len(users)} users"


def _ids(users: Collection[str]) -> str:
    return f" ({', '.join(users)})" if users else ""


def _stretches(detail: SeatDetail, user_id: str) -> str:
    # A user holding the seat all the counted days needs no dates.
    spans = detail.spans[user_id]
    if spans == ((detail.first_day, detail.month.last),):
        return ""
    return " (" + ", ".join(f"{a}..{b}" if a != b else f"{a}" for a, b in spans) + ")"


@attrs.frozen(kw_only=True)
class MonthState:
    """One month of a dated history: the state on its first day and the revisions after it."""

    users: tuple[User, ...]
    groups: tuple[Group, ...]
    history: tuple[Revision, ...]


def cut_history(
    *,
    users: Iterable[User],
    groups: Iterable[Group] = (),
    history: Iterable[Revision],
    month: Month,
) -> MonthState:
    """Cut a dated *history* to *month*.

    *users* and *groups* are the state before every revision in *history*. The result holds the
    state on the month's first day (every revision dated on or before it applied, in date
    order) and the revisions dated inside the month after that day; revisions after the month
    are dropped, so a June invoice never reflects a July change. Its fields are what
    :func:`~licbill.monthly_invoice` and :func:`count_seats` take as ``users``, ``groups`` and
    ``history``.
    """
    if not isinstance(month, Month):
        raise InvalidTypeError(f"month must be a licbill.Month, not {month!r}")
    user_map: dict[str, User] = keyed(users, User, "users")
    group_map: dict[str, Group] = keyed(groups, Group, "groups")
    if isinstance(history, str | bytes) or not isinstance(history, Iterable):
        raise InvalidTypeError(f"history must be a collection of licbill.Revision, not {history!r}")
    inside = []
    for revision in sorted(_checked_revisions(history), key=_ON):
        if revision.on <= month.first:
            _store(revision, user_map, group_map)
        elif revision.on <= month.last:
            inside.append(revision)
    return MonthState(
        users=tuple(user_map.values()), groups=tuple(group_map.values()), history=tuple(inside)
    )


def month_end_state(
    *,
    users: Iterable[User],
    groups: Iterable[Group] = (),
    history: Iterable[Revision] = (),
    month: Month,
) -> MonthState:
    """The users and groups on *month*'s last day, as the ``MONTH_END`` count sees them.

    *users*, *groups* and *history* are read as :func:`count_seats` reads them: the state on
    the first day, and the revisions inside the month after it (others ignored). The result's
    ``history`` is empty.
    """
    if not isinstance(month, Month):
        raise InvalidTypeError(f"month must be a licbill.Month, not {month!r}")
    user_map: dict[str, User] = keyed(users, User, "users")
    group_map: dict[str, Group] = keyed(groups, Group, "groups")
    if isinstance(history, str | bytes) or not isinstance(history, Iterable):
        raise InvalidTypeError(f"history must be a collection of licbill.Revision, not {history!r}")
    for revision in sorted(_checked_revisions(history), key=_ON):
        if month.first < revision.on <= month.last:
            _store(revision, user_map, group_map)
    return MonthState(users=tuple(user_map.values()), groups=tuple(group_map.values()), history=())


def _seat_keys(
    edition: LegacyEdition | None,
    legacy_seats: LegacySeats,
    status: UserStatus,
    guest: bool,
    holds: frozenset[Module],
) -> tuple[SeatKey, ...]:
    # The seat rule (docs/workspace.md, "The monthly invoice"): an active user holds a seat of
    # each product it has, as a regular user or a guest. Every count in this module goes
    # through here.
    if status is not _ACTIVE:
        return ()
    kind = UserKind.GUEST if guest else UserKind.REGULAR
    return tuple((product, kind) for product in seat_products(edition, holds, legacy_seats))


def _unknown_group(
    modules: frozenset[Module],
    member_of: frozenset[str],
    groups: Mapping[str, Group],
    users: Mapping[str, User],
) -> frozenset[Module]:
    # Raises the UnknownGroupError of a user of this shape: it names the user, not the shape.
    culprit = next(u for u in users.values() if (u.modules, u.groups) == (modules, member_of))
    return effective_modules(culprit, groups)


def _active(users: Collection[User]) -> list[User]:
    return list(compress(users, map(is_, repeat(_ACTIVE), map(_STATUS, users))))


class _GroupMasks(dict[frozenset[str], int]):
    # The bitmasks of sets of groups (their modules ORed: the bitmask form of
    # modules_with_groups), each worked out on first lookup. A lookup that misses runs
    # __missing__ in Python; a hit stays in C, so map() over users stays in C.

    def __init__(self, groups: Mapping[str, Group], active: list[User], users: Any) -> None:
        super().__init__()
        self.groups, self.active, self.users = groups, active, users
        self.each = {group_id: _MODULE_MASKS[group.modules] for group_id, group in groups.items()}

    def __missing__(self, key: frozenset[str]) -> int:
        if key <= self.each.keys():
            mask = reduce(or_, map(self.each.__getitem__, key), 0)
        else:  # the first active user of a group not given is named in the error
            culprit = next(u for u in self.active if u.groups == key)
            mask = _MODULE_MASKS[
                _unknown_group(culprit.modules, key, self.groups, self.users)
            ]  # raises
        self[key] = mask
        return mask


def _active_seats(
    workspace: Workspace,
    active: list[User],
    groups: Mapping[str, Group],
    users: Mapping[str, User],
) -> dict[SeatKey, int]:
    # The seats of the *active* users over a stretch of days on which neither they nor their
    # groups change. Python works per distinct set of groups and per (guest, modules), never
    # per user: the per-user steps are map and Counter, in C. A user's modules are a bitmask
    # (its own, from a constant table, ORed with its groups'), so the count is keyed by a
    # small int. Measured against Counter over (status, guest, modules, groups) tuples worked
    # per shape: about even in a first form (53.9 and 60.9 against 60.8 and 52.3 us per
    # 100-user workspace of bench/billing_run.py, two interleaved rounds), then 0.46 -> 0.50
    # of the hand-loop floor with the constant module table and group masks on first lookup
    # (`python bench/billing_run.py --workspaces 2000`). It compares the status by identity
    # and hashes no enum, so it needs no identity-hashed enum nor comparisons on status values.
    masks = _GroupMasks(groups, active, users)
    holders = Counter(
        map(
            or_,
            map(
                or_,
                map(_MODULE_MASKS.__getitem__, map(_MODULES, active)),
                map(masks.__getitem__, map(_GROUPS, active)),
            ),
            map(mul, map(_GUEST, active), repeat(_GUEST_BIT)),
        )
    )
    counts: dict[SeatKey, int] = {}
    edition, legacy_seats = workspace.edition, workspace.legacy_seats
    for holder, number in holders.items():
        for key in _holder_keys(edition, legacy_seats, holder):
            counts[key] = counts.get(key, 0) + number
    return counts


@functools.cache
def _holder_keys(
    edition: LegacyEdition | None, legacy_seats: LegacySeats, holder: int
) -> tuple[SeatKey, ...]:
    # The seats of an active user whose modules and guest flag make up *holder* (at most 128
    # answers in all, remembered: the seat rule of _seat_keys is applied once per answer).
    # MONTH_END invoices 0.43 -> 0.45 and 0.42 -> 0.44 of the hand-loop floor with the cache
    # (`python bench/billing_run.py --workspaces 2000`, two interleaved rounds).
    guest, holds = bool(holder & _GUEST_BIT), _MASK_MODULES[holder & ~_GUEST_BIT]
    return _seat_keys(edition, legacy_seats, _ACTIVE, guest, holds)


def _listed(values: Any) -> Any:
    # A one-shot iterable read once, to be read again; anything else as it is (checked later).
    if type(values) is tuple:
        return values
    if isinstance(values, Iterable) and not isinstance(values, str | bytes | Mapping):
        return tuple(values)
    return values


def _checked_revisions(history: Iterable[Any]) -> Iterable[Revision]:
    for revision in history:
        if not isinstance(revision, Revision):
            raise InvalidTypeError(f"not a licbill.Revision: {revision!r}")
        yield revision


def _store(revision: Revision, users: dict[str, User], groups: dict[str, Group]) -> None:
    if isinstance(revision.value, User):
        users[revision.value.id] = revision.value
    else:
        groups[revision.value.id] = revision.value
