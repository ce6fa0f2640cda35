"""licbill: billing rules for licence-based (per-seat, per-module) software subscriptions."""

from typing import Any

from . import audit, directory, io, rulebooks
from .charges import ChargeLines, charge_lines, iter_charge_lines
from .errors import (
    ConversionError,
    CurrencyMismatchError,
    DirectoryError,
    DuplicateEventError,
    DuplicateSubscriptionError,
    EditRefusedError,
    EventError,
    EventOrderError,
    IncompatibleSkuError,
    InvalidTypeError,
    InvalidValueError,
    LicbillError,
    MissingDependencyError,
    MissingPriceError,
    OutOfCalendarError,
    PlanAndQuantityError,
    QuantityError,
    ReservedEventIdError,
    SameSkuError,
    ScenarioError,
    StateVersionError,
    SubscriptionEndedError,
    TrialError,
    UnknownCurrencyError,
    UnknownGroupError,
    UnknownSubscriptionError,
    UnknownUserError,
)
from .invoice import Invoice, InvoiceLine, PriceList, monthly_invoice
from .io import recon, reports
from .io.convert import from_dict, to_dict
from .io.display import format_date, format_money
from .legacy import MODULES_FROM, LicenceModel, ModuleTrial, licence_model
from .lines import Basis, ChargeLine, ChargeType, ChargeTypeName
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
from .money import Money, RoundingMode, total
from .partitions import merge_charge_lines
from .periods import Month, Period, add_months, cycle, inclusive_days, period_end
from .proration import Rounding, RoundingScope, effective_unit_price, prorate
from .provisioning import ProvisioningKey
from .rulebooks import Descriptions, Rulebook, TrialConversion
from .seats import (
    Counting,
    MonthState,
    Revision,
    SeatCount,
    count_seats,
    cut_history,
    month_end_state,
)
from .state import BillingState
from .statements import CustomerStatement, customer_statements
from .workspace import (
    BillingInfo,
    Group,
    LegacyEdition,
    LegacySeats,
    Module,
    User,
    UserKind,
    UserStatus,
    Workspace,
    effective_modules,
)

__all__ = [
    "MODULES_FROM",
    "Basis",
    "Billing",
    "BillingInfo",
    "BillingState",
    "Cancel",
    "ChangeBillingPlan",
    "ChangeQuantity",
    "ChargeLine",
    "ChargeLines",
    "ChargeType",
    "ChargeTypeName",
    "ConversionError",
    "ConvertSku",
    "ConvertTrial",
    "Counting",
    "CurrencyMismatchError",
    "CustomerStatement",
    "Descriptions",
    "DirectoryError",
    "DuplicateEventError",
    "DuplicateSubscriptionError",
    "EditRefusedError",
    "Event",
    "EventError",
    "EventOrderError",
    "Group",
    "IncompatibleSkuError",
    "InvalidTypeError",
    "InvalidValueError",
    "Invoice",
    "InvoiceLine",
    "LegacyEdition",
    "LegacySeats",
    "LicbillError",
    "LicenceModel",
    "MissingDependencyError",
    "MissingPriceError",
    "Module",
    "ModuleTrial",
    "Money",
    "Month",
    "MonthState",
    "OutOfCalendarError",
    "Period",
    "PlanAndQuantityError",
    "PriceChange",
    "PriceList",
    "ProvisioningKey",
    "Purchase",
    "QuantityError",
    "ReservedEventIdError",
    "Revision",
    "Rounding",
    "RoundingMode",
    "RoundingScope",
    "Rulebook",
    "SameSkuError",
    "ScenarioError",
    "ScheduleChange",
    "SeatCount",
    "SetAutoRenew",
    "Sku",
    "SkuKind",
    "StateVersionError",
    "SubscriptionEndedError",
    "Term",
    "TrialConversion",
    "TrialError",
    "UnknownCurrencyError",
    "UnknownGroupError",
    "UnknownSubscriptionError",
    "UnknownUserError",
    "User",
    "UserKind",
    "UserStatus",
    "Workspace",
    "add_months",
    "audit",
    "charge_lines",
    "count_seats",
    "customer_statements",
    "cut_history",
    "cycle",
    "directory",
    "effective_modules",
    "effective_unit_price",
    "format_date",
    "format_money",
    "from_dict",
    "inclusive_days",
    "io",
    "iter_charge_lines",
    "licence_model",
    "merge_charge_lines",
    "month_end_state",
    "monthly_invoice",
    "period_end",
    "prorate",
    "recon",
    "reports",
    "rulebooks",
    "to_dict",
    "total",
]


# The optional modules load on first use, so that ``import licbill`` never needs their extras.
_OPTIONAL = frozenset({"arrow", "dask"})


def __getattr__(name: str) -> Any:
    if name in _OPTIONAL:
        import importlib

        return importlib.import_module(f"licbill.{name}")
    raise AttributeError(f"module 'licbill' has no attribute {name!r}")
