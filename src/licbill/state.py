"""Resumable billing runs: the state a month-end close stores and the next one goes on from
(docs/state.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Final

import attrs

from .charges import ChargeLines, RunState, continue_charge_lines
from .errors import InvalidTypeError, InvalidValueError
from .models import Event
from .periods import check_date
from .rulebooks import Rulebook

__all__ = ["STATE_VERSION", "BillingState"]

#: The version of the JSON form of :class:`BillingState`; ``from_json`` reads only this one.
STATE_VERSION: Final = 1


def _rulebook(_instance: Any, _attribute: Any, value: Any) -> None:
    if not isinstance(value, Rulebook):
        raise InvalidTypeError(f"rulebook must be a licbill.Rulebook, not {value!r}")


def _through(_instance: Any, _attribute: Any, value: Any) -> None:
    if value is not None:
        check_date(value, "through")


def _run(_instance: Any, _attribute: Any, value: Any) -> None:
    if not isinstance(value, RunState):
        raise InvalidTypeError(f"run must be a licbill.charges.RunState, not {value!r}")


@attrs.frozen(kw_only=True)
class BillingState:
    """Where billing stands after the events through ``through`` (``None``: nothing billed).

    ``lines, state = state.advance(events, through=day)`` bills the events after the state's
    date up to *day*: running January, storing the state, then February from it gives exactly
    the lines of one run through February. The state holds the rulebook, the full state of
    each live subscription (:class:`~licbill.charges.SubscriptionState`) and, as text only, the
    ids of ended subscriptions and of applied events, so the errors of one run (a duplicate
    event id, a purchase under an ended subscription's id) stay errors across runs.
    ``to_json()`` and :meth:`from_json` store it.
    """

    rulebook: Rulebook = attrs.field(validator=_rulebook)
    through: dt.date | None = attrs.field(default=None, validator=_through)
    run: RunState = attrs.field(factory=RunState, validator=_run)

    @classmethod
    def empty(cls, *, rulebook: Rulebook) -> BillingState:
        """The state before any event, under *rulebook*."""
        return cls(rulebook=rulebook)

    def advance(
        self, events: Iterable[Event], *, through: dt.date
    ) -> tuple[ChargeLines, BillingState]:
        """Bill *events* through *through*; return the new lines and the state after them.

        *events* are the events dated after the state's date and on or before *through* (all
        the events of the month being closed). Raises :class:`~licbill.EventOrderError` for an
        event dated on or before the state's date (already billed: see docs/cookbook.md for
        a late event) or after *through*, :class:`~licbill.InvalidValueError` for a *through*
        before the state's date, and whatever :func:`~licbill.charge_lines` raises.
        """
        check_date(through, "through")
        if self.through is not None and through < self.through:
            raise InvalidValueError(
                f"through {through} is before {self.through}, the date the state is billed to"
            )
        lines, run = continue_charge_lines(
            events, state=self.run, since=self.through, through=through, rulebook=self.rulebook
        )
        return lines, BillingState(rulebook=self.rulebook, through=through, run=run)

    @property
    def subscription_ids(self) -> tuple[str, ...]:
        """The ids of the live subscriptions, in order."""
        return tuple(sub.subscription_id for sub in self.run.subscriptions)

    def to_json(self) -> str:
        """The state as JSON text, with its format version (``licbill.io.statejson``)."""
        from .io.statejson import state_to_json

        return state_to_json(self)

    @classmethod
    def from_json(cls, text: str | bytes) -> BillingState:
        """The state *text* holds (made by :meth:`to_json`).

        Raises :class:`~licbill.StateVersionError` for a format version this licbill does not
        read, and :class:`~licbill.ConversionError` naming the path of a bad field.
        """
        from .io.statejson import state_from_json

        return state_from_json(text)
