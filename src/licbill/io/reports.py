"""Workspace reports (docs/reports.md): billing overview, users CSV, licensing reports.

Serialisation stays here, at the edge: the values it reads are plain licbill values.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import Any, Final, TextIO

import attrs

from .._validators import members, of_type
from ..errors import InvalidTypeError, InvalidValueError
from ..invoice import Invoice, PriceList, monthly_invoice
from ..legacy import ModuleTrial, licence_model
from ..periods import Month
from ..proration import Rounding
from ..seats import Counting, Revision, count_seats, keyed, month_end_state
from ..workspace import (
    Group,
    LegacyEdition,
    Module,
    User,
    UserKind,
    UserStatus,
    Workspace,
    effective_modules,
)
from .display import html_table, require_pandas
from .recon import neutralise

__all__ = [
    "USER_COLUMNS",
    "LicensingReport",
    "OverviewRow",
    "WorkspaceUsers",
    "billing_overview",
    "licensing_report",
    "users_without_modules",
    "write_partner_report",
    "write_users_csv",
]

#: The columns of the users export, as the seed lists them (docs/reports.md).
USER_COLUMNS: Final = (
    "First name",
    "Last name",
    "Email",
    "Username",
    "Status",
    "Modules",
    "Guest",
    "Admin",
)


def _users(values: Any) -> tuple[User, ...]:
    return tuple(keyed(values, User, "users").values())


def _groups(values: Any) -> tuple[Group, ...]:
    return tuple(keyed(values, Group, "groups").values())


def _history(values: Any) -> tuple[Revision, ...]:
    return members(values, Revision, "history")


@attrs.frozen(kw_only=True)
class WorkspaceUsers:
    """A workspace with its users and groups, as reports take them.

    ``users`` and ``groups`` are the state the reports describe when no month is asked for,
    and the state on the first day of the month that is; ``history`` holds the revisions
    during that month (read as :func:`~licbill.monthly_invoice` reads them).
    """

    workspace: Workspace = attrs.field(validator=of_type(Workspace))
    users: tuple[User, ...] = attrs.field(converter=_users)
    groups: tuple[Group, ...] = attrs.field(default=(), converter=_groups)
    history: tuple[Revision, ...] = attrs.field(default=(), converter=_history)


def _month_counts(
    workspace: Workspace,
    users: Iterable[User],
    groups: Iterable[Group],
    month: Month | None,
    history: Iterable[Revision],
) -> dict[Any, int]:
    # Without a month: the users as given, counted once. With one: the MONTH_END count, the
    # invoice's default.
    if month is None:
        month, history = Month.of(workspace.created_on), ()
    seats = count_seats(workspace, users=users, groups=groups, month=month, history=history)
    return {key: seat.month_end for key, seat in seats.items()}


@attrs.frozen
class OverviewRow:
    """One module on the billing page: how many regular and guest users hold it."""

    module: Module
    regular: int
    guest: int


def billing_overview(
    workspace: Workspace,
    *,
    users: Iterable[User],
    groups: Iterable[Group] = (),
    month: Month | None = None,
    history: Iterable[Revision] = (),
) -> tuple[OverviewRow, ...]:
    """The billing page's overview: each module held by active regular and guest users.

    Without *month* it describes *users* as given. With *month* (and the *history* an invoice
    of that month takes) it counts the month's last day, as the default ``MONTH_END`` invoice
    does. Raises :class:`~licbill.UnknownGroupError` for a membership of a group not given, and
    licbill type or value errors for malformed input or a month before the workspace existed.
    """
    seats = _month_counts(workspace, users, groups, month, history)
    return tuple(
        OverviewRow(
            module,
            seats.get((module, UserKind.REGULAR), 0),
            seats.get((module, UserKind.GUEST), 0),
        )
        for module in Module
    )


def write_users_csv(
    users: Iterable[User],
    file: TextIO,
    *,
    groups: Iterable[Group] = (),
    month: Month | None = None,
    history: Iterable[Revision] = (),
) -> int:
    """Write the users export of one workspace (docs/reports.md); return the row count.

    Users on the deleted list are not part of the export. Modules are the effective ones (own
    and through groups), joined by ``, ``. Text is neutralised against formula injection.
    With *month*, the users are those of the month's last day: *users* and *groups* as on its
    first day, changed by *history* as the invoice reads it.
    """
    if month is not None:
        state = month_end_state(users=users, groups=groups, history=history, month=month)
        users, groups = state.users, state.groups
    group_map = keyed(groups, Group, "groups")
    writer = csv.writer(file)
    writer.writerow(USER_COLUMNS)
    count = 0
    for user in users:
        if not isinstance(user, User):
            raise InvalidTypeError(f"not a licbill.User: {user!r}")
        if user.status is UserStatus.DELETED:
            continue
        writer.writerow(_user_row(user, effective_modules(user, group_map)))
        count += 1
    return count


def _user_row(user: User, modules: frozenset[Module]) -> list[str]:
    """One user's row of :data:`USER_COLUMNS`, given the modules the user holds."""
    return [
        neutralise(user.first_name),
        neutralise(user.last_name),
        neutralise(user.email),
        neutralise(user.username),
        user.status.value,
        ", ".join(m.value for m in Module if m in modules),
        "true" if user.guest else "false",
        "true" if user.admin else "false",
    ]


@attrs.frozen
class LicensingReport:
    """The instance licensing report: one row per workspace, in API version 3.5 or 4.0."""

    version: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def to_records(self) -> list[dict[str, str]]:
        """One plain dict per workspace, keyed by the columns."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def to_dataframe(self) -> Any:
        """The records as a ``pandas.DataFrame``; needs the ``pandas`` extra."""
        return require_pandas().DataFrame(self.to_records())

    def _repr_html_(self) -> str:
        return html_table(self.columns, self.rows)

    def write_csv(self, file: TextIO) -> int:
        """Write the report as CSV with a header; return the row count."""
        writer = csv.writer(file)
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return len(self.rows)


_INFO_COLUMNS: Final = ("WorkspaceId", "CompanyName", "Reference", "CustomerType", "Industry")


def _seat_columns(version: str) -> tuple[tuple[Module | LegacyEdition, UserKind], ...]:
    products: list[Module | LegacyEdition] = list(Module)
    if version == "3.5":
        products = [*LegacyEdition, *products]
    return tuple((product, kind) for product in products for kind in UserKind)


def _seat_column_names(
    seat_columns: Iterable[tuple[Module | LegacyEdition, UserKind]],
) -> tuple[str, ...]:
    """The header of each seat column: product then user kind (``EngageGuest``)."""
    return tuple(f"{product.value}{kind.value.title()}" for product, kind in seat_columns)


def _checked_entry(entry: Any) -> WorkspaceUsers:
    if not isinstance(entry, WorkspaceUsers):
        raise InvalidTypeError(f"not a licbill.WorkspaceUsers: {entry!r}")
    return entry


def _info_cells(ws: Workspace) -> tuple[str, ...]:
    """The cells of :data:`_INFO_COLUMNS`: the workspace id and its billing information."""
    billing = ws.billing
    return (ws.id, billing.company_name, billing.reference, billing.customer_type, billing.industry)


def _edition_cell(ws: Workspace) -> str:
    return ws.edition.value if ws.edition else ""


def licensing_report(
    workspaces: Iterable[WorkspaceUsers], *, version: str, month: Month | None = None
) -> LicensingReport:
    """The licensing report of a hosting instance.

    Version ``"3.5"`` covers the legacy editions and the modules, ``"4.0"`` the modules only.
    Each row carries the workspace's billing information and its active seats per product and
    user kind: of the users as given, or with *month* on the month's last day (each entry's
    ``history`` applied), as the default ``MONTH_END`` invoice counts them. Raises
    :class:`InvalidValueError` for another version and :class:`InvalidTypeError` for entries
    that are not :class:`WorkspaceUsers`.
    """
    if version not in ("3.5", "4.0"):
        raise InvalidValueError(f"licensing report versions are '3.5' and '4.0', not {version!r}")
    seat_columns = _seat_columns(version)
    columns = (
        *_INFO_COLUMNS,
        *(("LicenceModel", "Edition") if version == "3.5" else ()),
        *_seat_column_names(seat_columns),
    )
    rows = []
    for entry in map(_checked_entry, workspaces):
        ws = entry.workspace
        seats = _month_counts(ws, entry.users, entry.groups, month, entry.history)
        info = list(_info_cells(ws))
        if version == "3.5":
            info += [licence_model(ws).value, _edition_cell(ws)]
        counts = [str(seats.get(key, 0)) for key in seat_columns]
        rows.append(tuple(neutralise(cell) for cell in info) + tuple(counts))
    return LicensingReport(version, columns, tuple(rows))


#: The partner report covers every product, legacy editions included.
_PARTNER_SEATS: Final = _seat_columns("3.5")

_PARTNER_COLUMNS: Final = (
    *_INFO_COLUMNS,
    "Month",
    "LicenceModel",
    "Edition",
    *_seat_column_names(_PARTNER_SEATS),
    "Total",
    "Currency",
)


def write_partner_report(
    workspaces: Iterable[WorkspaceUsers],
    file: TextIO,
    *,
    month: Month,
    prices: PriceList | Mapping[str, PriceList],
    counting: Counting = Counting.MONTH_END,
    rounding: Rounding | None = None,
    trial: ModuleTrial | Mapping[str, ModuleTrial] | None = None,
) -> int:
    """Write the monthly report for a self-hosted partner: one row per workspace.

    The file is CSV with a byte-order mark, so a spreadsheet opens it with the right encoding.
    *prices* is one price list, or one per workspace id; *trial* one module trial for every
    legacy workspace, or one per workspace id (see :func:`~licbill.monthly_invoice`). Each row
    has the billing information, the licence model, the billed seats per product and user kind,
    and the invoice total, from each workspace's invoice (its ``history`` included).
    """
    _check_partner_options(prices, trial)
    file.write("\ufeff")
    writer = csv.writer(file)
    writer.writerow(_PARTNER_COLUMNS)
    count = 0
    for entry in map(_checked_entry, workspaces):
        ws = entry.workspace
        invoice = monthly_invoice(
            ws,
            users=entry.users,
            groups=entry.groups,
            month=month,
            prices=prices if isinstance(prices, PriceList) else _price_list(prices, ws.id),
            counting=counting,
            rounding=rounding,
            history=entry.history,
            trial=trial.get(ws.id) if isinstance(trial, Mapping) else trial,
        )
        writer.writerow(_partner_row(ws, month, invoice))
        count += 1
    return count


def _check_partner_options(prices: Any, trial: Any) -> None:
    """Refuse a *prices* or *trial* of the wrong type before the report writes anything."""
    if trial is not None and not isinstance(trial, ModuleTrial | Mapping):
        raise InvalidTypeError(
            f"trial must be a ModuleTrial, one per workspace id, or None, not {trial!r}"
        )
    if not isinstance(prices, PriceList | Mapping):
        raise InvalidTypeError(
            f"prices must be a PriceList or one per workspace id, not {prices!r}"
        )


def _partner_row(ws: Workspace, month: Month, invoice: Invoice) -> tuple[str, ...]:
    """One workspace's row of :data:`_PARTNER_COLUMNS`, from its invoice of *month*."""
    quantities = {(line.product, line.user_kind): line.quantity for line in invoice.lines}
    return (
        *(neutralise(cell) for cell in _info_cells(ws)),
        str(month),
        invoice.model.value,
        _edition_cell(ws),
        *(str(quantities.get(key, 0)) for key in _PARTNER_SEATS),
        str(invoice.total.amount),
        invoice.currency,
    )


def _price_list(prices: Mapping[str, PriceList], workspace_id: str) -> PriceList:
    try:
        price_list = prices[workspace_id]
    except KeyError:
        raise InvalidValueError(f"no price list for workspace {workspace_id!r}") from None
    if not isinstance(price_list, PriceList):
        raise InvalidTypeError(f"not a licbill.PriceList: {price_list!r}")
    return price_list


def users_without_modules(
    *,
    users: Iterable[User],
    groups: Iterable[Group] = (),
    month: Month | None = None,
    history: Iterable[Revision] = (),
) -> tuple[User, ...]:
    """The active users that hold no module, own or through a group, sorted by id.

    "Every user must have a module" (docs/reports.md): these users cannot use the workspace and
    are not billed, so a partner can act on them. With *month*, the users of its last day
    (*history* read as the invoice reads it). Raises :class:`~licbill.UnknownGroupError` for
    a membership of a group not given.
    """
    if month is not None:
        state = month_end_state(users=users, groups=groups, history=history, month=month)
        users, groups = state.users, state.groups
    user_map = keyed(users, User, "users")
    group_map = keyed(groups, Group, "groups")
    return tuple(
        user
        for _id, user in sorted(user_map.items())
        if user.status is UserStatus.ACTIVE and not effective_modules(user, group_map)
    )
