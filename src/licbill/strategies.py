"""Hypothesis strategies for licbill values: the ones licbill's own property tests use.

Install with ``pip install 'licbill[hypothesis]'``. Every strategy is a plural noun whose parts
are keyword arguments, and each shrinks toward the simplest case: USD, quantity 1, a monthly
per-seat SKU, a plain date, one subscription. Month-end and leap-day anchors are drawn often.

Hypothesis's ``from_type`` knows licbill's types once licbill is installed (through the
``hypothesis`` entry point), so ``st.from_type(lb.Sku)`` works.
"""

from __future__ import annotations

import calendar
import datetime as dt

import attrs

from .directory import (
    ChangeDirectoryStatus,
    Directory,
    DirectoryEvent,
    HardDelete,
    LeaveScope,
    Provisioning,
    RestoreUser,
    SetScimDefaultStatus,
    SetStatus,
    SetStatusSource,
    StartSync,
    StatusSource,
    StopSync,
    SyncUser,
    apply,
)
from .errors import LicbillError
from .legacy import ModuleTrial
from .models import (
    Billing,
    Cancel,
    ChangeBillingPlan,
    ChangeQuantity,
    ConvertSku,
    ConvertTrial,
    Event,
    PriceChange,
    Purchase,
    ScheduleChange,
    SetAutoRenew,
    Sku,
    SkuKind,
    Term,
)
from .money import MINOR_UNITS, Money, amount_of
from .periods import Month, add_months
from .seats import Revision
from .workspace import (
    BillingInfo,
    Group,
    LegacyEdition,
    LegacySeats,
    Module,
    User,
    UserStatus,
    Workspace,
    uses_legacy_model,
)

# The ``hypothesis`` entry point names the hook below. Importing this module first imports
# hypothesis, which runs its entry points while this module is still half-initialised: the hook
# must already exist then, and it defers the registration to the end of this module.
_READY = False
_DEFERRED = False


def _hypothesis_setup_hook() -> None:
    """Register licbill's types with Hypothesis (the ``hypothesis`` entry point calls this)."""
    global _DEFERRED
    if not _READY:
        _DEFERRED = True
        return
    _register_types()


from hypothesis import strategies as st  # noqa: E402  (after the hook; see above)

__all__ = [
    "DatedDirectoryHistory",
    "WorkspaceMonth",
    "anchor_dates",
    "currencies",
    "dated_directory_histories",
    "directory_histories",
    "event_histories",
    "groups",
    "module_sets",
    "monies",
    "purchases",
    "skus",
    "users",
    "workspace_months",
    "workspaces",
]

_COMMON = ("USD", "EUR", "JPY", "BHD", "GBP", "CHF")


def currencies(*, codes: tuple[str, ...] | None = None) -> st.SearchStrategy[str]:
    """ISO 4217 codes: by default the common ones first (USD, EUR, JPY with 0 and BHD with 3
    minor units), then any code babel knows."""
    if codes is not None:
        return st.sampled_from(codes)
    rest = tuple(code for code in MINOR_UNITS if code not in _COMMON)
    return st.one_of(st.sampled_from(_COMMON), st.sampled_from(rest))


@st.composite
def _money(
    draw: st.DrawFn,
    currencies: st.SearchStrategy[str],
    min_value: int,
    max_value: int,
    extra_places: int,
) -> Money:
    currency = draw(currencies)
    places = MINOR_UNITS[currency] + draw(st.integers(0, extra_places))
    units = draw(st.integers(min_value * 10**places, max_value * 10**places))
    return Money(amount_of(units, places), currency)


def monies(
    *,
    currencies: st.SearchStrategy[str] | None = None,
    min_value: int = 0,
    max_value: int = 10_000,
    extra_places: int = 0,
) -> st.SearchStrategy[Money]:
    """Money between *min_value* and *max_value* whole units, at the currency's minor unit plus
    up to *extra_places* more digits (unit prices such as 0.0125 USD)."""
    codes = globals()["currencies"]() if currencies is None else currencies
    return _money(codes, min_value, max_value, extra_places)


def anchor_dates(
    *, min_value: dt.date = dt.date(2019, 1, 1), max_value: dt.date = dt.date(2027, 12, 31)
) -> st.SearchStrategy[dt.date]:
    """Dates in a range, with month ends (28th to 31st) and 29 February drawn often.

    Any range inside 0001-01-01..9999-12-31 works, century years (2100 has no 29 February)
    included.
    """
    month_ends = st.builds(
        lambda year, month, back: dt.date(
            year, month, calendar.monthrange(year, month)[1] - back + 1
        ),
        st.integers(min_value.year, max_value.year),
        st.integers(1, 12),
        st.integers(1, 4),
    ).filter(lambda d: min_value <= d <= max_value)
    leap_days = st.sampled_from(
        [dt.date(y, 2, 29) for y in range(min_value.year, max_value.year + 1) if calendar.isleap(y)]
        or [min_value]
    ).filter(lambda d: min_value <= d <= max_value)
    return st.one_of(st.dates(min_value, max_value), month_ends, leap_days)


_PLANS = (
    (Term.P1M, Billing.MONTHLY),
    (Term.P1Y, Billing.MONTHLY),
    (Term.P1Y, Billing.ANNUAL),
    (Term.P1Y, Billing.UPFRONT),
    (Term.P3Y, Billing.ANNUAL),
    (Term.P3Y, Billing.MONTHLY),
    (Term.P1M, Billing.UPFRONT),
    (Term.P3Y, Billing.UPFRONT),
)


@st.composite
def skus(
    draw: st.DrawFn,
    *,
    ids: st.SearchStrategy[str] | None = None,
    unit_prices: st.SearchStrategy[Money] | None = None,
    plans: st.SearchStrategy[tuple[Term, Billing]] | None = None,
    kinds: st.SearchStrategy[SkuKind] | None = None,
) -> Sku:
    """Valid SKUs: a term and billing frequency that go together, limits that do not cross."""
    sku_id = draw(
        st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8)
        if ids is None
        else ids
    )
    price = draw(monies() if unit_prices is None else unit_prices)
    term, billing = draw(st.sampled_from(_PLANS) if plans is None else plans)
    kind = draw(st.sampled_from(SkuKind) if kinds is None else kinds)
    low, high = 1, None
    if kind is SkuKind.PER_SEAT and draw(st.booleans()):
        low = draw(st.integers(1, 5))
        high = draw(st.integers(low, 500))
    return Sku(
        id=sku_id,
        name=sku_id.title(),
        unit_price=price,
        term=term,
        billing=billing,
        kind=kind,
        min_quantity=low,
        max_quantity=high,
    )


@st.composite
def purchases(
    draw: st.DrawFn,
    *,
    subscription_ids: st.SearchStrategy[str] | None = None,
    skus: st.SearchStrategy[Sku] | None = None,
    dates: st.SearchStrategy[dt.date] | None = None,
    quantities: st.SearchStrategy[int] | None = None,
    trials: st.SearchStrategy[bool] | None = None,
) -> Purchase:
    """Valid purchases: the quantity respects the SKU's limits (1 for flat SKUs)."""
    sku = draw(globals()["skus"]() if skus is None else skus)
    quantity = 1
    if sku.kind is SkuKind.PER_SEAT:
        # Clamped rather than filtered, so that small quantities stay the shrink target.
        wanted = draw(st.integers(1, 50) if quantities is None else quantities)
        quantity = max(wanted, sku.min_quantity)
        if sku.max_quantity is not None:
            quantity = min(quantity, sku.max_quantity)
    return Purchase(
        subscription_id=draw(st.just("S1") if subscription_ids is None else subscription_ids),
        on=draw(anchor_dates() if dates is None else dates),
        sku=sku,
        quantity=quantity,
        trial=draw(st.booleans() if trials is None else trials),
    )


_OTHER_BILLING = {Billing.MONTHLY: Billing.ANNUAL, Billing.ANNUAL: Billing.MONTHLY}
_WINDOW_DAYS = 7  # the strictest seat-reduction window of a shipped rulebook (new commerce)


def _removable(batches: list[tuple[dt.date, int]], day: dt.date) -> int:
    """Seats removable on *day*: the newest batches still inside the reduction window."""
    seats = 0
    for added, count in reversed(batches):
        if (day - added).days > _WINDOW_DAYS:
            break
        seats += count
    return seats


def _take(batches: list[tuple[dt.date, int]], seats: int) -> None:
    while seats:
        added, count = batches[-1]
        used = min(count, seats)
        seats -= used
        if used == count:
            batches.pop()
        else:
            batches[-1] = (added, count - used)


@st.composite
def event_histories(
    draw: st.DrawFn,
    *,
    subscriptions: st.SearchStrategy[int] | None = None,
    currencies: st.SearchStrategy[str] | None = None,
    unit_prices: st.SearchStrategy[Money] | None = None,
    plans: st.SearchStrategy[tuple[Term, Billing]] | None = None,
    kinds: st.SearchStrategy[SkuKind] | None = None,
    dates: st.SearchStrategy[dt.date] | None = None,
    max_events: int = 6,
    max_gap_days: int = 70,
    operations: bool = True,
) -> tuple[Event, ...]:
    """Valid interleaved event streams for several subscriptions, sorted by date.

    Each subscription has a purchase (perhaps a trial, perhaps with a custom term end), then
    seat changes, conversions between SKUs of one family (same term, billing, kind and
    currency), auto-renew switches, and perhaps a cancellation as its last event. A trial is
    changed only after it has converted (at its end, or early with ``ConvertTrial``).

    With ``operations`` (the default) the streams also hold the new-commerce operations:
    early trial conversions, custom term ends, partial upgrades (to a new subscription, then
    moving more seats into it), billing-plan changes, scheduled changes at renewal, and SKU
    price changes. Seat reductions only remove seats added at most 7 days before, so every
    stream is valid under both shipped rulebooks.
    """
    count = draw(st.integers(1, 3) if subscriptions is None else subscriptions)
    currency = draw(st.sampled_from(_COMMON) if currencies is None else currencies)
    term, billing = draw(st.sampled_from(_PLANS) if plans is None else plans)
    kind = draw(st.sampled_from(SkuKind) if kinds is None else kinds)
    prices = (
        monies(currencies=st.just(currency), max_value=500, extra_places=2)
        if unit_prices is None
        else unit_prices
    )

    def price_changes() -> tuple[PriceChange, ...]:
        if not operations or not draw(st.booleans()):
            return ()
        on = draw(st.dates(dt.date(2019, 6, 1), dt.date(2027, 6, 30)))
        return (PriceChange(on=on, unit_price=draw(prices)),)

    family = [
        Sku(
            id=f"sku{i}",
            name=f"Sku {i}",
            unit_price=draw(prices),
            term=term,
            billing=billing,
            kind=kind,
            price_changes=price_changes(),
        )
        for i in range(draw(st.integers(1, 3)))
    ]
    plan_twin = None
    if operations and term is not Term.P1M and billing in _OTHER_BILLING:
        plan_twin = Sku(
            id="plan",
            name="Plan",
            unit_price=draw(prices),
            term=term,
            billing=_OTHER_BILLING[billing],
            kind=kind,
        )
    events: list[Event] = []
    for n in range(count):
        sid = f"S{n + 1}"
        purchase = draw(
            purchases(
                subscription_ids=st.just(sid),
                skus=st.sampled_from(family),
                dates=anchor_dates(max_value=dt.date(2026, 12, 31)) if dates is None else dates,
            )
        )
        month_end = add_months(purchase.on.replace(day=1), purchase.sku.term.months)
        month_end -= dt.timedelta(days=1)
        licensed = purchase.sku.kind is not SkuKind.CUSTOM_METER
        if operations and licensed and not purchase.trial and draw(st.booleans()):
            # The calendar-month end of the first term ("Align subscription end dates").
            purchase = attrs.evolve(purchase, custom_term_end=month_end)
        events.append(purchase)
        day, sku, quantity = purchase.on, purchase.sku, purchase.quantity
        batches = [(day, quantity)]
        if purchase.trial:
            choice = draw(
                st.sampled_from(["cancel", "wait", "convert"] if operations else ["cancel", "wait"])
            )
            trial_days = (add_months(purchase.on, 1) - purchase.on).days
            if choice == "cancel":
                cancel_on = day + dt.timedelta(days=draw(st.integers(0, 27)))
                events.append(Cancel(subscription_id=sid, on=cancel_on))
                continue
            if choice == "convert":
                day += dt.timedelta(days=draw(st.integers(0, trial_days - 1)))
                events.append(ConvertTrial(subscription_id=sid, on=day))
            else:
                # Changes begin once the trial has converted to paid.
                day = add_months(purchase.on, 1)
            batches = [(day, quantity)]
        target: tuple[str, Sku] | None = None
        for _ in range(draw(st.integers(0, max_events))):
            day += dt.timedelta(days=draw(st.integers(0, max_gap_days)))
            choices = ["quantity"] * 3 if kind is SkuKind.PER_SEAT else []
            choices += ["convert"] * 2 if len(family) > 1 else []
            if operations:
                choices += ["schedule"]
                choices += ["plan"] if plan_twin is not None else []
                choices += ["partial"] if len(family) > 1 and quantity > 1 else []
            choice = draw(st.sampled_from([*choices, "cancel", "auto-renew-off"]))
            if choice == "quantity":
                new = draw(st.integers(1, 59))
                new = new + 1 if new >= quantity else new
                if new < quantity:
                    new = max(new, quantity - _removable(batches, day))
                if new == quantity:
                    new = quantity + 1
                if new > quantity:
                    batches.append((day, new - quantity))
                else:
                    _take(batches, quantity - new)
                events.append(ChangeQuantity(subscription_id=sid, on=day, quantity=new))
                quantity = new
            elif choice == "convert":
                to = draw(st.sampled_from([s for s in family if s.id != sku.id]))
                events.append(ConvertSku(subscription_id=sid, on=day, to=to))
                sku = to
            elif choice == "partial":
                moved = draw(st.integers(1, quantity - 1))
                if target is None:
                    to = draw(st.sampled_from([s for s in family if s.id != sku.id]))
                    target = (f"{sid}-up", to)
                elif target[1].id == sku.id:
                    continue
                events.append(
                    ConvertSku(
                        subscription_id=sid,
                        on=day,
                        to=target[1],
                        quantity=moved,
                        target_subscription_id=target[0],
                    )
                )
                _take(batches, moved)
                quantity -= moved
            elif choice == "schedule":
                # The change waits for the renewal, so it is this subscription's last event.
                later = draw(st.none() | st.sampled_from(family))
                seats = draw(st.integers(1, 59)) if kind is SkuKind.PER_SEAT else None
                if seats is None and later is None:
                    later = sku
                events.append(ScheduleChange(subscription_id=sid, on=day, quantity=seats, to=later))
                break
            elif choice == "plan":
                # The plan changes when the paid cycle ends, so it is the last event.
                assert plan_twin is not None
                events.append(ChangeBillingPlan(subscription_id=sid, on=day, to=plan_twin))
                break
            elif choice == "cancel":
                events.append(Cancel(subscription_id=sid, on=day))
                break
            else:
                events.append(SetAutoRenew(subscription_id=sid, on=day, enabled=False))
                break
    return tuple(sorted(events, key=lambda e: e.on))


def _register_types() -> None:
    st.register_type_strategy(Money, monies())
    st.register_type_strategy(Sku, skus())
    st.register_type_strategy(Purchase, purchases())
    st.register_type_strategy(User, users())
    st.register_type_strategy(Group, groups())
    st.register_type_strategy(Workspace, workspaces())


# Workspace billing ---------------------------------------------------------------------------

_NAMES = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6)


def module_sets() -> st.SearchStrategy[frozenset[Module]]:
    """Sets of modules, the empty set first."""
    return st.frozensets(st.sampled_from(Module))


@st.composite
def groups(
    draw: st.DrawFn,
    *,
    ids: st.SearchStrategy[str] | None = None,
    modules: st.SearchStrategy[frozenset[Module]] | None = None,
) -> Group:
    """Groups with a name and a set of modules."""
    group_id = draw(st.sampled_from(["g1", "g2", "g3"]) if ids is None else ids)
    return Group(
        id=group_id,
        name=group_id.upper(),
        modules=draw(module_sets() if modules is None else modules),
    )


@st.composite
def users(
    draw: st.DrawFn,
    *,
    ids: st.SearchStrategy[str] | None = None,
    statuses: st.SearchStrategy[UserStatus] | None = None,
    modules: st.SearchStrategy[frozenset[Module]] | None = None,
    group_ids: st.SearchStrategy[frozenset[str]] | None = None,
) -> User:
    """Users of any kind and status, with modules and memberships of groups g1 to g3."""
    name = draw(_NAMES)
    return User(
        id=draw(st.just("u1") if ids is None else ids),
        username=name,
        email=f"{name}@example.com",
        first_name=name.title(),
        last_name=draw(_NAMES).title(),
        guest=draw(st.booleans()),
        admin=draw(st.booleans()),
        status=draw(st.sampled_from(UserStatus) if statuses is None else statuses),
        modules=draw(module_sets() if modules is None else modules),
        groups=draw(
            st.frozensets(st.sampled_from(["g1", "g2", "g3"])) if group_ids is None else group_ids
        ),
    )


@st.composite
def workspaces(
    draw: st.DrawFn,
    *,
    created: st.SearchStrategy[dt.date] | None = None,
    editions: st.SearchStrategy[LegacyEdition] | None = None,
) -> Workspace:
    """Workspaces of both licence models: an edition exactly when created before 2024; the
    named options (``default_modules``, ``admin_gets_all_modules``, ``legacy_seats``) drawn."""
    created_on = draw(
        st.dates(dt.date(2019, 1, 1), dt.date(2027, 12, 31)) if created is None else created
    )
    edition = None
    if uses_legacy_model(created_on):
        edition = draw(st.sampled_from(LegacyEdition) if editions is None else editions)
    return Workspace(
        id=draw(st.sampled_from(["w1", "w2"])),
        created_on=created_on,
        billing=BillingInfo(company_name=draw(_NAMES).title(), reference=draw(_NAMES)),
        edition=edition,
        default_modules=draw(st.just(frozenset()) | module_sets()),
        admin_gets_all_modules=draw(st.booleans()),
        legacy_seats=draw(st.sampled_from(LegacySeats)),
    )


@attrs.frozen
class WorkspaceMonth:
    """A drawn workspace month: the state on its first day and the revisions during it.

    ``trial`` is the module trial of a legacy workspace (ending before, inside or after the
    month), ``None`` for a modules-model workspace.
    """

    workspace: Workspace
    users: tuple[User, ...]
    groups: tuple[Group, ...]
    month: Month
    history: tuple[Revision, ...]
    trial: ModuleTrial | None = None


@st.composite
def workspace_months(
    draw: st.DrawFn,
    *,
    max_users: int = 12,
    max_revisions: int = 10,
    months: st.SearchStrategy[Month] | None = None,
) -> WorkspaceMonth:
    """A workspace with users and groups g1 to g3, and revisions of them inside one month.

    Drawn months never end before the workspace's creation (pass ``months`` to draw others).
    """
    workspace = draw(workspaces())
    if months is None:
        created = Month.of(workspace.created_on)
        offset = draw(st.integers(0, 24))
        index = created.year * 12 + created.month - 1 + offset
        month = Month(index // 12, index % 12 + 1)
    else:
        month = draw(months)
    group_list = tuple(draw(groups(ids=st.just(group_id))) for group_id in ("g1", "g2", "g3"))
    count = draw(st.integers(0, max_users))
    user_list = tuple(draw(users(ids=st.just(f"u{n}"))) for n in range(count))
    history = []
    for _ in range(draw(st.integers(0, max_revisions))):
        on = month.first + dt.timedelta(days=draw(st.integers(0, month.days - 1)))
        if draw(st.booleans()) or not count:
            value: User | Group = draw(groups())
        else:
            value = draw(users(ids=st.sampled_from([f"u{n}" for n in range(count + 2)])))
        history.append(Revision(on, value))
    trial = None
    if workspace.edition is not None:
        ends = month.first + dt.timedelta(days=draw(st.integers(-40, month.days + 40)))
        trial = ModuleTrial(ends_on=ends)
    return WorkspaceMonth(workspace, user_list, group_list, month, tuple(history), trial)


@st.composite
def directory_histories(
    draw: st.DrawFn,
    *,
    provisioning: st.SearchStrategy[Provisioning] | None = None,
    max_events: int = 15,
) -> tuple[Directory, tuple[DirectoryEvent, ...]]:
    """A fresh directory and a stream of directory events for it, valid or refused alike.

    Events name a small pool of users, so they meet each other; some are refused (a manual edit
    while sync runs), which tests of the state machine expect to see.
    """
    workspace = draw(workspaces())
    mode = draw(st.sampled_from(Provisioning) if provisioning is None else provisioning)
    directory = Directory(workspace=workspace, provisioning=mode)
    ids = st.sampled_from(["u1", "u2", "u3"])
    statuses = st.sampled_from([UserStatus.ACTIVE, UserStatus.INACTIVE])
    event = st.one_of(
        st.builds(
            SyncUser,
            user_id=ids,
            username=_NAMES,
            guest=st.booleans(),
            admin=st.booleans(),
            active=st.booleans(),
        ),
        st.builds(ChangeDirectoryStatus, ids, st.booleans()),
        st.builds(SetStatus, ids, statuses),
        st.builds(LeaveScope, ids),
        st.builds(HardDelete, ids),
        st.builds(RestoreUser, ids, statuses),
        st.just(StopSync()),
        st.just(StartSync()),
        st.builds(SetStatusSource, st.sampled_from(StatusSource)),
        st.builds(SetScimDefaultStatus, statuses),
    )
    return directory, tuple(draw(st.lists(event, max_size=max_events)))


@attrs.frozen
class DatedDirectoryHistory:
    """A drawn directory, a month, and dated directory events it accepts, in date order."""

    directory: Directory
    month: Month
    events: tuple[DirectoryEvent, ...]


@st.composite
def dated_directory_histories(
    draw: st.DrawFn,
    *,
    provisioning: st.SearchStrategy[Provisioning] | None = None,
    max_events: int = 15,
) -> DatedDirectoryHistory:
    """A directory of a workspace created by a month's end, and dated events from shortly before
    the month to its end; events the directory refuses are left out, so all replay."""
    month = draw(st.builds(Month, st.integers(2024, 2026), st.integers(1, 12)))
    workspace = draw(workspaces(created=st.dates(dt.date(2023, 6, 1), month.last)))
    mode = draw(st.sampled_from(Provisioning) if provisioning is None else provisioning)
    directory = Directory(workspace=workspace, provisioning=mode)
    _, undated = draw(directory_histories(provisioning=st.just(mode), max_events=max_events))
    earliest = max(workspace.created_on, month.first - dt.timedelta(days=10))
    span = (month.last - earliest).days
    offsets = sorted(
        draw(st.lists(st.integers(0, span), min_size=len(undated), max_size=len(undated)))
    )
    state, events = directory, []
    for event, offset in zip(undated, offsets, strict=True):
        dated = attrs.evolve(event, on=earliest + dt.timedelta(days=offset))
        try:
            state = apply(state, dated)
        except LicbillError:
            continue
        events.append(dated)
    return DatedDirectoryHistory(directory, month, tuple(events))


_READY = True
if _DEFERRED:
    _register_types()
