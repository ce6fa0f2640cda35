"""The legacy licence model (RULEBOOK B2): one environment-wide edition per older workspace.

Workspaces created before :data:`MODULES_FROM` are billed per active user at their edition's
price. They may try the new modules free of charge: modules held in a legacy workspace are
trial modules, shown on its invoice as zero-priced lines.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from ._enums import FastEnum
from .errors import InvalidTypeError
from .workspace import LegacyEdition, Module, Workspace

__all__ = ["MODULES_FROM", "LicenceModel", "licence_model", "seat_products"]

#: Workspaces created on or after this date use modules; earlier ones the legacy editions.
MODULES_FROM: Final = dt.date(2024, 1, 1)


_MODULES: Final = tuple(Module)


class LicenceModel(FastEnum):
    """How a workspace is licensed."""

    LEGACY = "legacy"
    MODULES = "modules"


def licence_model(workspace: Workspace) -> LicenceModel:
    """Return the licence model of *workspace*: legacy if created before 1 January 2024.

    Raises :class:`InvalidTypeError` for anything but a :class:`Workspace`.
    """
    if not isinstance(workspace, Workspace):
        raise InvalidTypeError(f"not a licbill.Workspace: {workspace!r}")
    return LicenceModel.LEGACY if workspace.created_on < MODULES_FROM else LicenceModel.MODULES


def seat_products(
    edition: LegacyEdition | None, modules: frozenset[Module]
) -> tuple[LegacyEdition | Module, ...]:
    """The products an active user holds a seat of: its modules, and the edition if legacy.

    A modules-model user with no module holds no seat; a legacy user always holds the edition.
    """
    products: tuple[LegacyEdition | Module, ...] = tuple(m for m in _MODULES if m in modules)
    return products if edition is None else (edition, *products)
