"""Billing state as JSON text and back (docs/state.md): the format edge of
:class:`licbill.BillingState`.

The text is one JSON object: ``"format": "licbill.BillingState"``, ``"version"`` (see
:data:`licbill.state.STATE_VERSION`), the rulebook, ``through``, ``skus`` (each SKU a
subscription uses, once) and ``run`` (the live subscriptions, each naming its SKUs by their
index in ``skus``; ended subscription ids; applied event ids). Values are written as
:func:`licbill.to_dict` writes them, so amounts stay exact strings.

This is a format edge: rule modules never import it.
"""

from __future__ import annotations

import json
from typing import Any, Final

from ..errors import ConversionError, InvalidTypeError, StateVersionError
from ..state import STATE_VERSION, BillingState
from .convert import from_dict, to_dict

__all__ = ["FORMAT", "state_from_json", "state_to_json"]

#: The value of the ``"format"`` key, which says what the JSON holds.
FORMAT: Final = "licbill.BillingState"

#: The fields of a subscription state that hold a SKU (by index in ``skus`` in the JSON).
_SKU_FIELDS: Final = ("sku", "pending_sku", "pending_plan")


def state_to_json(state: BillingState) -> str:
    """*state* as compact JSON text (``BillingState.to_json``)."""
    if not isinstance(state, BillingState):
        raise InvalidTypeError(f"not a licbill.BillingState: {state!r}")
    data = to_dict(state)
    skus: list[Any] = []
    index: dict[str, int] = {}
    for sub in data["run"]["subscriptions"]:
        for field in _SKU_FIELDS:
            sku = sub[field]
            if sku is not None:
                key = json.dumps(sku, sort_keys=True)
                sub[field] = index.setdefault(key, len(skus))
                if sub[field] == len(skus):
                    skus.append(sku)
    head = {"format": FORMAT, "version": STATE_VERSION}
    return json.dumps({**head, **data, "skus": skus}, separators=(",", ":"))


def state_from_json(text: str | bytes) -> BillingState:
    """The :class:`BillingState` in *text* (``BillingState.from_json``).

    Raises :class:`~licbill.StateVersionError` for another ``"version"`` than this licbill
    writes, and :class:`~licbill.ConversionError` for text that is not such JSON, naming the
    path of each bad field (``run.subscriptions[0].quantity``).
    """
    if not isinstance(text, str | bytes):
        raise InvalidTypeError(f"billing state must be JSON text, not {text!r}")
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ConversionError([("", f"not JSON: {error}")], BillingState) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else data
        raise ConversionError([("format", f"expected {FORMAT!r}, not {found!r}")], BillingState)
    version = data.pop("version", None)
    if version != STATE_VERSION:
        raise StateVersionError(
            [("version", f"this licbill reads version {STATE_VERSION}, not {version!r}")],
            BillingState,
            version,
        )
    del data["format"]
    skus = data.pop("skus", None)
    if not isinstance(skus, list):
        raise ConversionError([("skus", f"expected a list, not {skus!r}")], BillingState)
    run = data.get("run")
    subscriptions = run.get("subscriptions") if isinstance(run, dict) else None
    for number, sub in enumerate(subscriptions if isinstance(subscriptions, list) else ()):
        for field in _SKU_FIELDS if isinstance(sub, dict) else ():
            at = sub.get(field)
            if at is None:
                continue
            if type(at) is not int or not 0 <= at < len(skus):
                path = f"run.subscriptions[{number}].{field}"
                raise ConversionError(
                    [(path, f"expected the index of one of {len(skus)} SKUs, not {at!r}")],
                    BillingState,
                )
            sub[field] = skus[at]
    state: BillingState = from_dict(BillingState, data)
    return state
