"""The legacy licence model: one environment-wide edition per older workspace.

Workspaces created before :data:`MODULES_FROM` are billed per active user at their edition's
price. They may try the new modules free of charge for a trial period (:class:`ModuleTrial`);
after it, modules they hold are billed at the module price. The rules and their sources are on
docs/workspace.md.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Final

import attrs

from .errors import InvalidTypeError
from .periods import check_date
from .workspace import (
    MODULES_FROM,
    LegacyEdition,
    LegacySeats,
    Module,
    Workspace,
    uses_legacy_model,
)

__all__ = ["MODULES_FROM", "LicenceModel", "ModuleTrial", "licence_model", "seat_products"]


_MODULES: Final = tuple(Module)


class LicenceModel(enum.Enum):
    """How a workspace is licensed."""

    LEGACY = "legacy"
    MODULES = "modules"


@attrs.frozen(kw_only=True)
class ModuleTrial:
    """The free trial ("gratis proefperiode") of the modules in a legacy workspace.

    Modules held by a legacy workspace are free up to and including ``ends_on`` and billed at
    their module price from the next day on. A trial that ended before a month bills that
    month's modules in full; one that ends inside it bills the paid days under the invoice's
    counting policy (docs/workspace.md, "Licence models and the module trial").
    """

    ends_on: dt.date = attrs.field(validator=lambda _i, _a, v: check_date(v, "ends_on"))

    @property
    def first_paid_day(self) -> dt.date:
        """The first day on which modules are billed."""
        return self.ends_on + dt.timedelta(days=1)


def licence_model(workspace: Workspace) -> LicenceModel:
    """Return the licence model of *workspace*: legacy if created before 1 January 2024.

    Raises :class:`InvalidTypeError` for anything but a :class:`Workspace`.
    """
    if not isinstance(workspace, Workspace):
        raise InvalidTypeError(f"not a licbill.Workspace: {workspace!r}")
    return LicenceModel.LEGACY if uses_legacy_model(workspace.created_on) else LicenceModel.MODULES


def seat_products(
    edition: LegacyEdition | None,
    modules: frozenset[Module],
    legacy_seats: LegacySeats = LegacySeats.NEEDS_MODULE,
) -> tuple[LegacyEdition | Module, ...]:
    """The products an active user holds a seat of: its modules, and the edition if legacy.

    A modules-model user with no module holds no seat. A legacy user holds the edition when it
    has a module, or always under ``LegacySeats.EVERY_ACTIVE_USER``.
    """
    products: tuple[LegacyEdition | Module, ...] = tuple(m for m in _MODULES if m in modules)
    if edition is None or (not products and legacy_seats is LegacySeats.NEEDS_MODULE):
        return products
    return (edition, *products)
