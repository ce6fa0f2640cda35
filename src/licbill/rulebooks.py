"""Rulebooks: the published parameter sets a billing run follows (docs/lifecycle.md, docs/recon.md).

Each is a frozen value; derive a variant with ``attrs.evolve``::

    attrs.evolve(NEW_COMMERCE, rounding=Rounding.PER_LINE_DOWN, prorated_refund_days=14)
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

from ._validators import flag, identifier, of_type, shown, text, whole
from .errors import InvalidTypeError, InvalidValueError
from .lines import ChargeType, ChargeTypeName
from .models import Billing
from .proration import Rounding

__all__ = [
    "MARKETPLACE_2019",
    "MAX_TRIAL_MONTHS",
    "MAX_WINDOW_DAYS",
    "NEW_COMMERCE",
    "Descriptions",
    "Rulebook",
    "TrialConversion",
]


class TrialConversion(enum.Enum):
    """How a free trial that ends with auto-renew on becomes paid."""

    #: One ``renew`` line at the paid price (the 2019 marketplace page, seed table 1).
    RENEW = "renew"
    #: Two ``convert`` lines: the trial's zero credit and the paid charge (new commerce).
    CONVERT_PAIR = "convert-pair"


@attrs.frozen(kw_only=True)
class Descriptions:
    """The subscription descriptions written on lines (seed tables' last column); each a str."""

    trial: str = attrs.field(default="Free trial", validator=text)
    paid: str = attrs.field(default="Paid subscription", validator=text)
    paid_rebill: str = attrs.field(default="Prorated rebill for paid subscription", validator=text)
    custom_meter: str = attrs.field(default="Custom meter SaaS subscription", validator=text)
    custom_meter_rebill: str = attrs.field(
        default="Prorated rebill for custom meter SaaS subscription", validator=text
    )


def _spellings(value: Mapping[ChargeType, str]) -> Mapping[ChargeType, ChargeTypeName]:
    if not isinstance(value, Mapping):
        raise InvalidTypeError(f"spellings must map ChargeType to str, not {shown(value)}")
    strange = [key for key in value if not isinstance(key, ChargeType)]
    if strange:
        raise InvalidValueError(f"spellings has keys that are not a ChargeType: {shown(strange)}")
    missing = [
        kind.name
        for kind in ChargeType
        if not isinstance(value.get(kind), str | ChargeTypeName) or not str(value[kind])
    ]
    if missing:
        raise InvalidValueError(f"spellings lack a non-empty str for {', '.join(missing)}")
    return MappingProxyType({kind: ChargeTypeName(kind, str(value[kind])) for kind in ChargeType})


#: The most days a refund window may span: a year.
MAX_WINDOW_DAYS = 366
#: The longest free trial a rulebook may give, in months.
MAX_TRIAL_MONTHS = 12


def _days(_instance: Any, attribute: Any, value: Any) -> None:
    whole(value, f"{attribute.name} (days)")
    if not 0 <= value <= MAX_WINDOW_DAYS:
        raise InvalidValueError(
            f"{attribute.name} must be a whole number of days in 0..{MAX_WINDOW_DAYS}, "
            f"not {shown(value)}"
        )


def _trial_months(_instance: Any, attribute: Any, value: Any) -> None:
    whole(value, attribute.name)
    if not 1 <= value <= MAX_TRIAL_MONTHS:
        raise InvalidValueError(
            f"{attribute.name} must lie in 1..{MAX_TRIAL_MONTHS}, not {shown(value)}"
        )


def _days_or_none(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        _days(instance, attribute, value)


@attrs.frozen(kw_only=True)
class Rulebook:
    """The parameters of one published rulebook.

    - ``spellings``: how each :class:`ChargeType` is written in this rulebook's files;
    - ``trial_conversion``: how a trial becomes paid; ``trial_months``: its length;
    - ``trial_cancel``: the charge type of a trial's cancel line (it mirrors the trial line, 0);
    - ``full_refund_days``: a cancel dated fewer than this many days after the purchase or
      renewal (the start of the current term) refunds everything charged in the current cycle.
      Dates carry no time, so 24 hours is 1 (the same day) and 72 hours is 3;
    - ``prorated_refund_days``: otherwise, a cancel dated fewer than this many days after it
      refunds the days from the cancel date to the cycle end; later cancels refund nothing and
      end the subscription at term end;
    - ``rounding``: the proration rounding policy;
    - ``descriptions``: the texts written in the description column;
    - ``reduction_window_days``: seats can be removed only this many days (or fewer) after they
      were added (purchase, renewal or a mid-term addition); ``None``: any time;
    - ``annual_full_refund_days``: the full-refund window of subscriptions billed annually or
      up front (``None``: ``full_refund_days``);
    - ``signed_credit_prices``: credit lines show a negative effective unit price.

    See ``docs/lifecycle.md`` and ``docs/operations.md`` for each rule with an example.

    Every field is checked on construction and on ``attrs.evolve``: the enums and
    :class:`Descriptions` by type, ``trial_months`` in 1..:data:`MAX_TRIAL_MONTHS`, the day
    counts in 0..:data:`MAX_WINDOW_DAYS`, ``spellings`` a non-empty str for every ChargeType
    and nothing else. A bad field raises :class:`~licbill.InvalidTypeError` or
    :class:`~licbill.InvalidValueError` naming it.
    """

    # Every field has a validator; attrs runs them on construction and on ``attrs.evolve``.
    name: str = attrs.field(validator=identifier)
    spellings: Mapping[ChargeType, ChargeTypeName] = attrs.field(converter=_spellings)
    trial_conversion: TrialConversion = attrs.field(validator=of_type(TrialConversion))
    trial_months: int = attrs.field(default=1, validator=_trial_months)
    trial_cancel: ChargeType = attrs.field(default=ChargeType.CANCEL, validator=of_type(ChargeType))
    full_refund_days: int = attrs.field(validator=_days)
    prorated_refund_days: int = attrs.field(default=0, validator=_days)
    rounding: Rounding = attrs.field(validator=of_type(Rounding))
    descriptions: Descriptions = attrs.field(
        default=Descriptions(), validator=of_type(Descriptions)
    )
    reduction_window_days: int | None = attrs.field(default=None, validator=_days_or_none)
    annual_full_refund_days: int | None = attrs.field(default=None, validator=_days_or_none)
    signed_credit_prices: bool = attrs.field(default=False, validator=flag)

    def full_refund_days_for(self, billing: Billing) -> int:
        """The full-refund window of a subscription billed with *billing*."""
        if billing is not Billing.MONTHLY and self.annual_full_refund_days is not None:
            return self.annual_full_refund_days
        return self.full_refund_days


def _pascal(kind: ChargeType) -> str:
    return kind.value[0].upper() + kind.value[1:]


#: The 2019 marketplace page (seed): ``New``, ``Renew``, ``Cancel``, ``Convert``,
#: ``CancelImmediate``; kinds the page does not name follow its capitalisation. A trial becomes
#: paid through a ``Renew`` line; full refund when cancelled within 72 hours; the recon-file
#: rounding (``PER_UNIT_DOWN``).
MARKETPLACE_2019 = Rulebook(
    name="marketplace-2019",
    spellings={kind: _pascal(kind) for kind in ChargeType},
    trial_conversion=TrialConversion.RENEW,
    trial_cancel=ChargeType.CANCEL,
    full_refund_days=3,
    prorated_refund_days=0,
    rounding=Rounding.PER_UNIT_DOWN,
)

#: New commerce: lower-camel charge types; a trial becomes paid through a pair of ``convert``
#: lines; full refund within 24 hours, prorated refund within 7 days; ``PER_UNIT_DOWN``; seats
#: removable within 7 days of being added; credit lines with a negative effective unit price.
NEW_COMMERCE = Rulebook(
    name="new-commerce",
    spellings={kind: kind.value for kind in ChargeType},
    trial_conversion=TrialConversion.CONVERT_PAIR,
    trial_cancel=ChargeType.CANCEL_IMMEDIATE,
    full_refund_days=1,
    prorated_refund_days=7,
    rounding=Rounding.PER_UNIT_DOWN,
    reduction_window_days=7,
    signed_credit_prices=True,
)
