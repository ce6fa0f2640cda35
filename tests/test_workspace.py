"""Workspaces, users, groups and the two licence models (docs/workspace.md)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

import licbill as lb

M, K = lb.Module, lb.UserKind


def test_the_first_of_january_2024_divides_the_licence_models() -> None:
    """Created on 31 Dec 2023: legacy with an edition; on 1 Jan 2024: modules."""
    old = lb.Workspace(id="w", created_on=dt.date(2023, 12, 31), edition=lb.LegacyEdition.ADAPT)
    new = lb.Workspace(id="w", created_on=dt.date(2024, 1, 1))
    assert lb.licence_model(old) is lb.LicenceModel.LEGACY
    assert lb.licence_model(new) is lb.LicenceModel.MODULES


def test_edition_must_match_the_licence_model() -> None:
    """A legacy workspace needs an edition; a modules workspace may not have one."""
    with pytest.raises(lb.InvalidValueError, match="needs an edition"):
        lb.Workspace(id="w", created_on=dt.date(2023, 6, 1))
    with pytest.raises(lb.InvalidValueError, match="uses modules"):
        lb.Workspace(id="w", created_on=dt.date(2024, 6, 1), edition=lb.LegacyEdition.BOOST)


def test_effective_modules_are_own_plus_groups() -> None:
    """A user holds its own modules and every module of its groups."""
    groups = {"g": lb.Group(id="g", modules={M.HYBRID}), "h": lb.Group(id="h", modules={M.UNIFY})}
    user = lb.User(id="u", username="u", modules={M.ENGAGE}, groups={"g", "h"})
    assert lb.effective_modules(user, groups) == {M.HYBRID, M.ENGAGE, M.UNIFY}
    only_groups = lb.User(id="v", username="v", groups={"g"})
    assert lb.effective_modules(only_groups, groups) == {M.HYBRID}


def test_an_unknown_group_is_an_error_naming_it() -> None:
    """A membership of a group that was not given is a LookupError naming user and group."""
    user = lb.User(id="u", username="u", groups={"ghost"})
    with pytest.raises(lb.UnknownGroupError, match=r"'u'.*'ghost'"):
        lb.effective_modules(user, {})


def test_defaults_for_new_users() -> None:
    """New users get the workspace's default modules alone (none unless it sets them)."""
    plain = lb.Workspace(id="w", created_on=dt.date(2024, 2, 1))
    assert plain.modules_for_new_user(admin=False) == set()
    assert plain.modules_for_new_user(admin=True) == set()
    own = lb.Workspace(id="w", created_on=dt.date(2024, 2, 1), default_modules={M.HYBRID})
    assert own.modules_for_new_user(admin=False) == {M.HYBRID}
    assert own.modules_for_new_user(admin=True) == {M.HYBRID}


def test_admin_rule_is_an_option() -> None:
    """With admin_gets_all_modules a new admin gets every module; other users the defaults."""
    ws = lb.Workspace(
        id="w", created_on=dt.date(2024, 2, 1), default_modules={M.ENGAGE},
        admin_gets_all_modules=True,
    )  # fmt: skip
    assert ws.modules_for_new_user(admin=True) == set(M)
    assert ws.modules_for_new_user(admin=False) == {M.ENGAGE}


@pytest.mark.parametrize(
    "build",
    [
        lambda: lb.User(id="", username="x"),
        lambda: lb.User(id="u", username="x", modules=M.HYBRID),
        lambda: lb.User(id="u", username="x", modules={"Hybrid"}),
        lambda: lb.User(id="u", username="x", groups="g1"),
        lambda: lb.User(id="u", username="x", groups={""}),
        lambda: lb.User(id="u", username="x", guest="no"),
        lambda: lb.User(id="u", username="x", status="active"),
        lambda: lb.User(id="u", username=None),
        lambda: lb.User(id="u", username="x", modules=3),
        lambda: lb.Group(id="g", modules=None),
        lambda: lb.Workspace(id="w", created_on=dt.datetime(2024, 1, 1)),
        lambda: lb.Workspace(id="w", created_on=dt.date(2024, 1, 1), billing="Contoso"),
        lambda: lb.Workspace(id="w", created_on=dt.date(2023, 1, 1), edition="Boost"),
        lambda: lb.BillingInfo(company_name=3),
    ],
)
def test_constructors_refuse_wrong_types(build: object) -> None:
    """Users, groups, workspaces and billing information refuse malformed fields."""
    with pytest.raises(lb.LicbillError):
        build()  # type: ignore[operator]


def test_user_kind() -> None:
    """A guest is of kind GUEST, everyone else REGULAR."""
    assert lb.User(id="u", username="u", guest=True).kind is K.GUEST
    assert lb.User(id="u", username="u").kind is K.REGULAR


def test_licence_model_needs_a_workspace() -> None:
    """licence_model refuses anything but a Workspace."""
    with pytest.raises(lb.InvalidTypeError):
        lb.licence_model("w1")  # type: ignore[arg-type]


def test_a_wrong_edition_is_named_with_what_the_field_takes() -> None:
    """An edition that is not a LegacyEdition is a type error that says None is allowed too."""
    expected = r"edition must be a licbill\.LegacyEdition or None, not 'Boost'"
    with pytest.raises(lb.InvalidTypeError, match=expected):
        lb.Workspace(id="w", created_on=dt.date(2023, 1, 1), edition="Boost")  # type: ignore[arg-type]


_UNKNOWN_GROUPS = """
import datetime as dt, licbill as lb
ws = lb.Workspace(id="w", created_on=dt.date(2024, 1, 1))
mine = frozenset({lb.Module.ENGAGE})
users = [
    lb.User(id=f"u{i}", username=f"user{i}", modules=mine, groups=frozenset({"gy", "gx", "g9"}))
    for i in range(8)
]
history = [
    lb.Revision(dt.date(2024, 5, 10), lb.User(id=f"u{i}", username=f"user{i}", groups=user.groups))
    for i, user in enumerate(users)
]
try:
    lb.count_seats(ws, users=users, month=lb.Month(2024, 5), history=history)
except lb.UnknownGroupError as error:
    print(error)
"""


def test_a_group_not_given_is_named_alike_whatever_the_hash_seed() -> None:
    """Users revised in the month are met in id order, and a user's missing groups by id: the
    error is the same in every process."""
    said = {
        subprocess.run(
            [sys.executable, "-c", _UNKNOWN_GROUPS],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(1, 6)
    }
    assert said == {"user 'u0' belongs to group 'g9', which is not given\n"}
