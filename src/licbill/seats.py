"""Which users hold a billable seat in a month, under each counting policy (docs/workspace.md).

A seat is held by an *active* user for each product it has: in the modules model each module
(its own plus its groups'), in the legacy model the workspace's edition and any trial module.
The count for a month is taken by sweeping the days on which something changed, never by
rebuilding a snapshot per day: users and groups untouched during the month are counted once.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from operator import attrgetter, mul
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


def keyed(values: Iterable[Any], kind: type[Any], what: str) -> dict[str, Any]:
    """*values* (users or groups) by id, each checked to be a *kind*; a repeated id is refused.

    Shared with the reports, which take the same collections as :func:`count_seats`.
    """
    items: Sequence[Any]
    if type(values) is tuple or type(values) is list:
        items = values  # the common case, without asking the Iterable ABC
    elif isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidTypeError(
            f"{what} must be a collection of licbill.{kind.__name__}, not {values!r}"
        )
    else:
        items = tuple(values)
    # One pass keeps the values of exactly *kind*; a value missing from it is a subclass, a
    # value of another type or a repeated id, which the slow path below tells apart (and so is
    # an id that cannot be a key, so that a value of another type is named first). The type
    # is checked inside this pass rather than by a pass of its own over the same values:
    # keyed() over the users of `python bench/billing_run.py --workspaces 1000`, the code
    # before and after in turn, best of 15, two runs: 11.5 -> 7.9 and 12.9 -> 10.3 ms (a
    # script outside the repo).
    try:
        keyed = {value.id: value for value in items if type(value) is kind}
    except TypeError:
        keyed = {}
    if len(keyed) != len(items):
        for value in items:
            if not isinstance(value, kind):
                raise InvalidTypeError(f"not a licbill.{kind.__name__}: {value!r}")
        keyed = {value.id: value for value in items}
        if len(keyed) != len(items):
            twice = [i for i, n in Counter(map(_ID, items)).items() if n > 1]
            named = f"the id {twice[0]!r}" if twice else "one id"
            raise InvalidValueError(f"two {what} have {named}")
    return keyed


def listed(values: Any) -> Any:
    """*values* read once into a tuple, so a one-shot iterable can be read again; a tuple as
    it is, and so a str, a mapping or a non-iterable (refused where they are checked).

    Shared with :func:`~licbill.monthly_invoice`, which may count the same input twice.
    """
    if type(values) is tuple:
        return values
    if isinstance(values, Iterable) and not isinstance(values, str | bytes | Mapping):
        return tuple(values)
    return values


_DAY = dt.timedelta(days=1)
_ID = attrgetter("id")
_ON = attrgetter("on")
_ACTIVE = UserStatus.ACTIVE

# Seats as small ints. A user's seats follow from its *holder*: the bitmask of its modules (its
# own ORed with its groups') plus a guest bit; an inactive or absent user is _NOBODY. A seat
# key is its index in SEAT_KEYS, so counts are lists and counting hashes no enum (a seat key
# is a tuple of two enums, and Enum.__hash__ is a Python function): `python -m cProfile -s
# ncalls bench/billing_run.py --workspaces 1000 --repeat 1` counted 1,437,622 calls of it
# before, 315,318 after, nearly all the rest the bench's own (building the users, the floor).

#: Every seat key, in the order counts list them: the editions, then the modules, each for
#: regular users, then guests. Shared with monthly_invoice, which prices the counts by index.
SEAT_KEYS: tuple[SeatKey, ...] = tuple(
    (product, kind) for product in (*LegacyEdition, *Module) for kind in UserKind
)
_INDEX = {key: n for n, key in enumerate(SEAT_KEYS)}
_BIT = {module: 1 << n for n, module in enumerate(Module)}
_GUEST_BIT = 1 << len(_BIT)
_NOBODY = 2 * _GUEST_BIT
_MASK_MODULES = {
    mask: frozenset(m for m, bit in _BIT.items() if mask & bit) for mask in range(_GUEST_BIT)
}
#: Every set of modules and its bitmask.
_MODULE_MASKS = {modules: mask for mask, modules in _MASK_MODULES.items()}


def _seat_keys(
    edition: LegacyEdition | None, legacy_seats: LegacySeats, guest: bool, holds: frozenset[Module]
) -> tuple[SeatKey, ...]:
    # The seat rule (docs/workspace.md, "The monthly invoice"): an active user holds a seat of
    # each product it has, as a regular user or a guest. Whether a user is active is read where
    # users become holders (_holders, _Sweep.holder_of); every count in this module takes its
    # seats from here, through the tables below.
    kind = UserKind.GUEST if guest else UserKind.REGULAR
    return tuple((product, kind) for product in seat_products(edition, holds, legacy_seats))


def _seat_table(
    edition: LegacyEdition | None, legacy_seats: LegacySeats
) -> tuple[tuple[int, ...], ...]:
    # The seats of each holder in a workspace of *edition*, as indexes into SEAT_KEYS; the last
    # entry, _NOBODY's, holds none. There are eight such tables in all, made once.
    seats = (
        _seat_keys(
            edition, legacy_seats, bool(holder & _GUEST_BIT), _MASK_MODULES[holder & ~_GUEST_BIT]
        )
        for holder in range(_NOBODY)
    )
    return (*(tuple(map(_INDEX.__getitem__, keys)) for keys in seats), ())


_SEAT_TABLES = {
    (edition, legacy_seats): _seat_table(edition, legacy_seats)
    for edition in (None, *LegacyEdition)
    for legacy_seats in LegacySeats
}


def _per_key(holders: Mapping[int, int], table: tuple[tuple[int, ...], ...]) -> list[int]:
    # The seats per key index of *holders* (holder -> number of users): Python works per
    # distinct holder (at most 16), never per user.
    seats = [0] * len(SEAT_KEYS)
    for holder, number in holders.items():
        for n in table[holder]:
            seats[n] += number
    return seats


def _holders(
    users: Collection[User], groups: Mapping[str, Group], everyone: Mapping[str, User]
) -> Counter[int]:
    # The holders of the active *users* over a stretch of days on which neither they nor their
    # groups change, counted. One list comprehension: CPython 3.11 runs it faster than the same
    # steps as map, compress and Counter in C, 0.72, 0.77, 0.71 -> 0.85, 0.87, 0.86 of the
    # hand-loop floor; the masks of each set of groups worked out once (_GroupMasks) rather
    # than modules_with_groups per user: 0.82, 0.79, 0.83 -> 0.85, 0.87, 0.86
    # (`python bench/billing_run.py --workspaces 1000 --repeat 5`, three interleaved rounds).
    masks = _GroupMasks(groups)
    try:
        return Counter(
            [
                _MODULE_MASKS[user.modules] | masks[user.groups] | (_GUEST_BIT if user.guest else 0)
                for user in users
                if user.status is _ACTIVE
            ]
        )
    except KeyError:  # a group not given: the first active user in such a set is named
        culprit = next(
            (u for u in users if u.status is _ACTIVE and not u.groups <= groups.keys()), None
        )
        if culprit is None:
            raise
        return Counter([_unknown_group(culprit.modules, culprit.groups, groups, everyone)])


class _GroupMasks(dict[frozenset[str], int]):
    # The bitmasks of sets of groups (their modules ORed: the bitmask form of
    # modules_with_groups), each worked out on first lookup, once per distinct set; a KeyError
    # for a set holding a group not given. A plain loop over the few groups of a set (rather
    # than reduce over a map), and no state but the groups' masks (the culprit of a KeyError is
    # found by _holders): _holders over the month-end states of the 1,000 workspaces of
    # `python bench/billing_run.py --workspaces 1000` took 41.0 -> 34.5 ms (best of 9), and
    # monthly_invoice MONTH_END went from 0.87, 0.87, 0.90 to 0.95, 0.97, 0.98 of the hand-loop
    # floor (the bench's invoice_counts and floor_counts, best of 7 interleaved runs each).

    def __init__(self, groups: Mapping[str, Group]) -> None:
        self.each = {group_id: _MODULE_MASKS[group.modules] for group_id, group in groups.items()}

    def __missing__(self, key: frozenset[str]) -> int:
        each, mask = self.each, 0
        for group_id in key:
            mask |= each[group_id]
        self[key] = mask
        return mask


def _unknown_group(
    modules: frozenset[Module],
    member_of: frozenset[str],
    groups: Mapping[str, Group],
    users: Mapping[str, User],
) -> int:
    # Raises the UnknownGroupError of a user of this shape: it names the user, not the shape.
    culprit = next(u for u in users.values() if (u.modules, u.groups) == (modules, member_of))
    return _MODULE_MASKS[effective_modules(culprit, groups)]


def _checked_month(month: Any) -> Month:
    if not isinstance(month, Month):
        raise InvalidTypeError(f"month must be a licbill.Month, not {month!r}")
    return month


def _counted_days(workspace: Any, month: Any, since: Any) -> tuple[dt.date, dt.date, dt.date]:
    # The month's first and last days, and the first counted day: the first, or a later
    # creation or since day; each checked. (Month works its days out on every call.)
    if not isinstance(workspace, Workspace):
        raise InvalidTypeError(f"not a licbill.Workspace: {workspace!r}")
    first, last = _checked_month(month).first, month.last
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
    return first, last, start


def _directory(
    users: Any, groups: Any, history: Any
) -> tuple[dict[str, User], dict[str, Group], list[Revision]]:
    # The users and groups by id and the revisions in date order, each checked: what
    # count_seats, cut_history and month_end_state read before cutting the history.
    user_map: dict[str, User] = keyed(users, User, "users")
    group_map: dict[str, Group] = keyed(groups, Group, "groups")
    if type(history) is not tuple and (
        isinstance(history, str | bytes) or not isinstance(history, Iterable)
    ):
        raise InvalidTypeError(f"history must be a collection of licbill.Revision, not {history!r}")
    return user_map, group_map, sorted(_checked_revisions(history), key=_ON)


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


def _month_input(
    workspace: Any, users: Any, groups: Any, month: Any, history: Any, since: Any
) -> tuple[dt.date, dict[str, User], dict[str, Group], dict[dt.date, list[Revision]]]:
    # count_seats' input, checked and read: the first counted day, the users and groups on
    # that day, and the revisions after it by day, in date order.
    first, last, start = _counted_days(workspace, month, since)
    user_map, group_map, revisions = _directory(users, groups, history)
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
    seats = month_end_counts(workspace, users=users, groups=groups, month=month, history=history)
    return {key: number for key, number in zip(SEAT_KEYS, seats, strict=True) if number}


def month_end_counts(
    workspace: Workspace,
    *,
    users: Iterable[User],
    groups: Iterable[Group],
    month: Month,
    history: Iterable[Revision],
) -> list[int]:
    """:func:`month_end_seats` as a list of counts indexed like :data:`SEAT_KEYS`, zeros kept.

    Shared with :func:`~licbill.monthly_invoice`, which prices the counts by index.
    """
    users, groups, history = listed(users), listed(groups), listed(history)  # read twice
    _start, user_map, group_map, inside = _month_input(
        workspace, users, groups, month, history, None
    )
    if _to_month_end(user_map, group_map, inside):
        table = _SEAT_TABLES[workspace.edition, workspace.legacy_seats]
        try:
            return _per_key(_holders(user_map.values(), group_map, user_map), table)
        except UnknownGroupError:
            pass  # count_seats names the user it meets first
    counts = seat_counts(workspace, users=users, groups=groups, month=month, history=history)
    return [0 if count is None else count.month_end for count in counts]


def _to_month_end(
    users: dict[str, User], groups: dict[str, Group], inside: Mapping[dt.date, list[Revision]]
) -> bool:
    # Brings *users* and *groups* to the month's last day, and says whether counting that day
    # alone raises what count_seats raises. A membership of a group not given raises where
    # count_seats meets it, which depends on the day: such input, and groups first given
    # during the month, go to count_seats. It checks the active users left unchanged, and
    # every version of the others.
    known = groups.keys() - ()
    member_of: set[str] = set()
    for revisions in inside.values():
        for revision in revisions:
            if isinstance(revision.value, User):
                before = users.get(revision.value.id)
                member_of.update(revision.value.groups, () if before is None else before.groups)
            _store(revision, users, groups)
    return member_of | groups.keys() <= known


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
    counts = seat_counts(
        workspace,
        users=users,
        groups=groups,
        month=month,
        history=history,
        since=since,
        explain=explain,
    )
    return {key: count for key, count in zip(SEAT_KEYS, counts, strict=True) if count is not None}


def seat_counts(
    workspace: Workspace,
    *,
    users: Iterable[User],
    groups: Iterable[Group] = (),
    month: Month,
    history: Iterable[Revision] = (),
    since: dt.date | None = None,
    explain: bool = False,
) -> list[SeatCount | None]:
    """:func:`count_seats` as a list indexed like :data:`SEAT_KEYS`, ``None`` for a seat no user
    held on a counted day.

    Shared with :func:`~licbill.monthly_invoice`, which prices the counts by index.
    """
    if not isinstance(explain, bool):
        raise InvalidTypeError(f"explain must be True or False, not {explain!r}")
    start, user_map, group_map, inside = _month_input(
        workspace, users, groups, month, history, since
    )
    table = _SEAT_TABLES[workspace.edition, workspace.legacy_seats]
    followed = _followed(user_map, inside, explain=explain)
    # Users that do not change all month count once, grouped by what decides their seats.
    steady = _per_key(_holders(_unfollowed(user_map, followed), group_map, user_map), table)
    sweep = _Sweep(table, group_map, steady, explain=explain)
    sweep.start(followed, user_map, start)
    for day in sorted(inside):
        sweep.day(day, inside[day], user_map, group_map, followed)
    end = month.last + _DAY
    sweep.close(end)
    return _seat_counts(steady, sweep, month=month, start=start, end=end)


def _followed(
    users: Mapping[str, User], inside: Mapping[dt.date, list[Revision]], *, explain: bool
) -> set[str]:
    # The users whose seats may change during the month: those revised, the members of a group
    # revised (no scan of the users when no group is), and every user when explaining.
    revised = [revision.value for revisions in inside.values() for revision in revisions]
    followed = {value.id for value in revised if isinstance(value, User)}
    regrouped = {value.id for value in revised if isinstance(value, Group)}
    if regrouped:
        followed.update(u.id for u in users.values() if u.groups & regrouped)
    if explain:
        followed.update(users)
    return followed


def _unfollowed(users: dict[str, User], followed: set[str]) -> Collection[User]:
    # A copy without the few followed users (a dict copy is one C call).
    steady = dict(users)
    for user_id in followed:
        steady.pop(user_id, None)
    return steady.values()


class _Sweep:
    """The followed users (those whose seats may change), from change to change through the month.

    Each one's holder and since when, the days it held each seat (``held``, by user and key
    index: every seat a user holds, it holds for a day or more), and the seats held per key
    index on the current day (``running``, the steady users' included) and on the fullest day
    so far (``peak``).
    """

    def __init__(
        self,
        table: tuple[tuple[int, ...], ...],
        groups: Mapping[str, Group],
        steady: list[int],
        *,
        explain: bool,
    ) -> None:
        self.table, self.groups = table, groups
        self.holder: dict[str, int] = {}
        self.since: dict[str, dt.date] = {}
        self.held: Counter[tuple[str, int]] = Counter()
        self.running = list(steady)
        self.peak = list(steady)
        #: The stretches of days each user held each seat, recorded when explaining.
        self.spans: dict[tuple[str, int], list[list[dt.date]]] | None = {} if explain else None

    def holder_of(self, user: User | None) -> int:
        if user is None:
            return _NOBODY
        # Every version of a followed user is checked for groups not given, active or not.
        holds = modules_with_groups(user.modules, user.groups, self.groups, user.id)
        if user.status is not _ACTIVE:
            return _NOBODY
        return _MODULE_MASKS[holds] | (_GUEST_BIT if user.guest else 0)

    def start(self, followed: set[str], users: Mapping[str, User], day: dt.date) -> None:
        # In id order, so that an error names the same user whatever the hash seed.
        for user_id in sorted(followed):
            holder = self.holder_of(users.get(user_id))
            self.holder[user_id], self.since[user_id] = holder, day
            for n in self.table[holder]:
                self.running[n] += 1
        self.peak = list(self.running)

    def day(
        self,
        day: dt.date,
        revisions: list[Revision],
        users: dict[str, User],
        groups: dict[str, Group],
        followed: set[str],
    ) -> None:
        changed: set[str] = set()
        regrouped: set[str] = set()
        for revision in revisions:
            _store(revision, users, groups)
            (changed if isinstance(revision.value, User) else regrouped).add(revision.value.id)
        if regrouped:
            changed.update(
                user_id
                for user_id in followed
                if user_id in users and users[user_id].groups & regrouped
            )
        gained: set[int] = set()
        for user_id in sorted(changed):
            gained.update(self.change(user_id, users.get(user_id), day))
        for n in gained:  # only seats gained on the day can set a new peak
            self.peak[n] = max(self.peak[n], self.running[n])

    def change(self, user_id: str, user: User | None, day: dt.date) -> tuple[int, ...]:
        before, after = self.holder[user_id], self.holder_of(user)
        self.close_one(user_id, day)
        self.holder[user_id], self.since[user_id] = after, day
        if before == after:
            return ()
        for n in self.table[before]:
            self.running[n] -= 1
        for n in self.table[after]:
            self.running[n] += 1
        return self.table[after]

    def close(self, end: dt.date) -> None:
        for user_id in self.holder:
            self.close_one(user_id, end)

    def close_one(self, user_id: str, day: dt.date) -> None:
        # A user changes at most once a day, after its since day: days is never 0.
        since = self.since[user_id]
        days = (day - since).days
        for n in self.table[self.holder[user_id]]:
            self.held[user_id, n] += days
            if self.spans is not None:
                stretches = self.spans.setdefault((user_id, n), [])
                if stretches and stretches[-1][1] == since - _DAY:
                    stretches[-1][1] = day - _DAY
                else:
                    stretches.append([since, day - _DAY])


def _seat_counts(
    steady: list[int], sweep: _Sweep, *, month: Month, start: dt.date, end: dt.date
) -> list[SeatCount | None]:
    # The count of each key held on some counted day (from *start* to the day before *end*),
    # by index.
    counted_days = (end - start).days
    held_days: dict[int, dict[int, int]] = {}
    for (_user, n), days in sweep.held.items():
        held = held_days.setdefault(n, {})
        held[days] = held.get(days, 0) + 1
    result: list[SeatCount | None] = [None] * len(SEAT_KEYS)
    for n, number in enumerate(steady):
        held = held_days.get(n, {})
        if not (number or held):
            continue
        any_day = number + sum(held.values())  # the followed users who held it, and the steady
        if number:
            held[counted_days] = held.get(counted_days, 0) + number
        result[n] = SeatCount(
            month_end=sweep.running[n],
            any_day=any_day,
            peak=sweep.peak[n],
            seat_days=sum(map(mul, held, held.values())),
            held_days=dict(sorted(held.items())),
            detail=None if sweep.spans is None else _detail(n, month, start, sweep.spans),
        )
    return result


def _detail(
    n: int, month: Month, start: dt.date, spans: Mapping[tuple[str, int], list[list[dt.date]]]
) -> SeatDetail:
    product, kind = SEAT_KEYS[n]
    return SeatDetail(
        product=product,
        user_kind=kind,
        month=month,
        first_day=start,
        spans={
            user_id: tuple((a, b) for a, b in stretches)
            for (user_id, k), stretches in sorted(spans.items(), key=lambda item: item[0][0])
            if k == n
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
    held = {user_id: detail.held(user_id) for user_id in detail.spans}
    users, body, seats = _counted(detail, counting=counting, held=held, quantity=quantity)
    text = f"{product.value}, {kind.value} users, {month}, {counting.name}: {body}"
    if unit_price is not None and total is not None:
        text += _priced(counting=counting, unit_price=unit_price, rounding=rounding, total=total)
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


def _counted(
    detail: SeatDetail,
    *,
    counting: Counting,
    held: Mapping[str, int],
    quantity: Decimal | None,
) -> tuple[tuple[str, ...], str, Decimal]:
    """The users counted, the sentence that counts them, and the seats, under *counting*."""
    what = "module" if isinstance(detail.product, Module) else "edition"
    last = detail.month.last
    if counting is Counting.MONTH_END:
        users = detail.holders_on(last)
        body = f"{_users(users)} active with the {what} on {last}{_ids(users)}"
    elif counting is Counting.ANY_DAY:
        users = tuple(sorted(held))
        body = (
            f"{_users(users)} active with the {what} on some day from {detail.first_day} to "
            f"{last}{_ids(users)}"
        )
    elif counting is Counting.PEAK:
        day, users = _peak_day(detail)
        body = f"{_users(users)} active with the {what} on {day}, the most on one day{_ids(users)}"
    else:
        return _prorated(detail, held=held, quantity=quantity)
    return users, body, Decimal(len(users))


def _peak_day(detail: SeatDetail) -> tuple[dt.date, tuple[str, ...]]:
    """The first counted day with the most holders, and those holders."""
    day, users = detail.first_day, detail.holders_on(detail.first_day)
    for n in range(1, detail.counted_days):
        other = detail.first_day + dt.timedelta(days=n)
        on_day = detail.holders_on(other)
        if len(on_day) > len(users):
            day, users = other, on_day
    return day, users


def _prorated(
    detail: SeatDetail, *, held: Mapping[str, int], quantity: Decimal | None
) -> tuple[tuple[str, ...], str, Decimal]:
    """The users, the seat-days sentence and the seats of a daily-prorated count."""
    days = detail.month.days
    users = tuple(sorted(held))
    seat_days = sum(held.values())
    each = ", ".join(f"{u} {held[u]}{_stretches(detail, u)}" for u in users)
    seats = quantity if quantity is not None else Decimal(seat_days) / days
    body = f"{seat_days} seat-days of {_users(users)} ({each}) / {days} days = {plain(seats)} seats"
    return users, body, seats


def _priced(
    *, counting: Counting, unit_price: Money, rounding: Rounding | None, total: Money
) -> str:
    """The explanation's tail from the seats to an invoice line's total."""
    if counting is Counting.DAILY_PRORATED and rounding is not None:
        per = "each user's share" if rounding.scope is RoundingScope.PER_UNIT else "the sum"
        return f" x {unit_price}, rounding {per} ({rounding.name}) = {total}"
    if rounding is not None:
        return f" x {unit_price} ({rounding.name}) = {total}"
    return f" x {unit_price} = {total}"


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
    first, last = _checked_month(month).first, month.last
    user_map, group_map, revisions = _directory(users, groups, history)
    inside = []
    for revision in revisions:
        if revision.on <= first:
            _store(revision, user_map, group_map)
        elif revision.on <= last:
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
    first, last = _checked_month(month).first, month.last
    user_map, group_map, revisions = _directory(users, groups, history)
    for revision in revisions:
        if first < revision.on <= last:
            _store(revision, user_map, group_map)
    return MonthState(users=tuple(user_map.values()), groups=tuple(group_map.values()), history=())
