"""Workspaces, users, groups and modules (docs/workspace.md)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

from ._validators import flag, identifier, members, of_type, text
from .errors import InvalidTypeError, InvalidValueError, UnknownGroupError
from .periods import check_date

__all__ = [
    "BillingInfo",
    "Group",
    "LegacyEdition",
    "LegacySeats",
    "Module",
    "User",
    "UserKind",
    "UserStatus",
    "Workspace",
    "effective_modules",
]


class Module(enum.Enum):
    """The modules of the current licence model."""

    HYBRID = "Hybrid"
    ENGAGE = "Engage"
    UNIFY = "Unify"


class LegacyEdition(enum.Enum):
    """The environment-wide editions of the legacy licence model."""

    SIMPLIFY = "Simplify"
    ADAPT = "Adapt"
    BOOST = "Boost"


class LegacySeats(enum.Enum):
    """Which active users of a legacy workspace hold a seat of its edition (docs/workspace.md).

    The seed bases the monthly invoice on active users "with one or more modules assigned";
    :attr:`NEEDS_MODULE` follows it and is the default.
    """

    #: An active legacy user holds an edition seat only when it has one or more modules.
    NEEDS_MODULE = "needs-module"
    #: Every active legacy user holds an edition seat, with or without modules.
    EVERY_ACTIVE_USER = "every-active-user"


class UserKind(enum.Enum):
    """Regular users and guests are priced and counted apart."""

    REGULAR = "regular"
    GUEST = "guest"


class UserStatus(enum.Enum):
    """A user's status: only active users hold a billable seat."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    #: On the workspace's deleted users list (restorable).
    DELETED = "deleted"


def _modules(value: Any) -> frozenset[Module]:
    if isinstance(value, Module):
        raise InvalidTypeError(f"modules must be a collection of Module, not the single {value!r}")
    return frozenset(members(value, Module, "modules"))


def _ids(value: Any) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidTypeError(f"groups must be a collection of group ids, not {value!r}")
    ids = frozenset(value)
    for group_id in ids:
        if not isinstance(group_id, str) or not group_id:
            raise InvalidTypeError(f"a group id must be a non-empty str, not {group_id!r}")
    return ids


@attrs.frozen(kw_only=True)
class BillingInfo:
    """What a workspace shows on its invoice and reports (docs/workspace.md)."""

    company_name: str = attrs.field(default="", validator=text)
    reference: str = attrs.field(default="", validator=text)
    customer_type: str = attrs.field(default="", validator=text)
    industry: str = attrs.field(default="", validator=text)


@attrs.frozen(kw_only=True)
class Group:
    """A group of users; its modules go to every member."""

    id: str = attrs.field(validator=identifier)
    name: str = attrs.field(default="", validator=text)
    modules: frozenset[Module] = attrs.field(default=frozenset(), converter=_modules)


@attrs.frozen(kw_only=True)
class User:
    """A workspace user: its own modules, its group memberships and its status.

    A user's seats come from :func:`effective_modules`: its own modules plus its groups'.
    """

    id: str = attrs.field(validator=identifier)
    username: str = attrs.field(validator=text)
    email: str = attrs.field(default="", validator=text)
    first_name: str = attrs.field(default="", validator=text)
    last_name: str = attrs.field(default="", validator=text)
    guest: bool = attrs.field(default=False, validator=flag)
    admin: bool = attrs.field(default=False, validator=flag)
    status: UserStatus = attrs.field(default=UserStatus.ACTIVE, validator=of_type(UserStatus))
    modules: frozenset[Module] = attrs.field(default=frozenset(), converter=_modules)
    groups: frozenset[str] = attrs.field(default=frozenset(), converter=_ids)

    @property
    def kind(self) -> UserKind:
        """Guest or regular."""
        return UserKind.GUEST if self.guest else UserKind.REGULAR


#: Workspaces created on or after this date use modules; earlier ones the legacy editions
#: (docs/workspace.md, "Licence models and the module trial").
MODULES_FROM: Final = dt.date(2024, 1, 1)


def uses_legacy_model(created_on: dt.date) -> bool:
    """Whether a workspace created on *created_on* is billed on the legacy model: the one
    place the 1 January 2024 boundary is decided (a workspace has an edition exactly then)."""
    return created_on < MODULES_FROM


@attrs.frozen(kw_only=True)
class Workspace:
    """A workspace (tenant environment): its creation date decides its licence model.

    ``edition`` is required for a workspace created before 1 January 2024 (the legacy model) and
    refused for a later one. Nothing is billed for days before ``created_on``.
    ``default_modules`` are given to newly synced or imported users (none unless the workspace
    sets them); with ``admin_gets_all_modules`` a new admin also gets every module (off by
    default: the seed does not say so). ``legacy_seats`` says which active users of a legacy
    workspace hold an edition seat (see :class:`LegacySeats`).
    """

    id: str = attrs.field(validator=identifier)
    created_on: dt.date = attrs.field(validator=lambda _i, _a, v: check_date(v, "created_on"))
    billing: BillingInfo = attrs.field(factory=BillingInfo, validator=of_type(BillingInfo))
    edition: LegacyEdition | None = attrs.field(
        default=None, validator=of_type(LegacyEdition, or_none=True)
    )
    default_modules: frozenset[Module] = attrs.field(default=frozenset(), converter=_modules)
    admin_gets_all_modules: bool = attrs.field(default=False, validator=flag)
    legacy_seats: LegacySeats = attrs.field(
        default=LegacySeats.NEEDS_MODULE, validator=of_type(LegacySeats)
    )

    def __attrs_post_init__(self) -> None:
        legacy = uses_legacy_model(self.created_on)
        if legacy and self.edition is None:
            raise InvalidValueError(
                f"workspace {self.id!r} was created on {self.created_on}, before {MODULES_FROM}: "
                "it is billed on the legacy model and needs an edition"
            )
        if not legacy and self.edition is not None:
            raise InvalidValueError(
                f"workspace {self.id!r} was created on {self.created_on}: it uses modules, "
                f"not the legacy edition {self.edition.value}"
            )

    def modules_for_new_user(self, *, admin: bool) -> frozenset[Module]:
        """The modules a newly synced or imported user gets: the workspace's ``default_modules``,
        and every module for an admin only when ``admin_gets_all_modules`` is set."""
        if admin and self.admin_gets_all_modules:
            return frozenset(Module)
        return self.default_modules


def effective_modules(user: User, groups: Mapping[str, Group]) -> frozenset[Module]:
    """Return *user*'s own modules plus those of every group it belongs to.

    Raises :class:`UnknownGroupError` for a membership of a group not in *groups*, and
    :class:`InvalidTypeError` for a user that is not a :class:`User` or groups not in a mapping.
    """
    if not isinstance(user, User):
        raise InvalidTypeError(f"not a licbill.User: {user!r}")
    if not isinstance(groups, Mapping):
        raise InvalidTypeError(f"groups must map group ids to licbill.Group, not {groups!r}")
    return modules_with_groups(user.modules, user.groups, groups, user.id)


def modules_with_groups(
    own: frozenset[Module], member_of: frozenset[str], groups: Mapping[str, Group], who: str
) -> frozenset[Module]:
    """The union of *own* modules and those of the groups *member_of* (user *who*'s)."""
    modules = own
    for group_id in member_of:
        try:
            modules = modules | groups[group_id].modules
        except KeyError:
            # The first missing group by id: a set's order changes with the hash seed.
            missing = min(group for group in member_of if group not in groups)
            raise UnknownGroupError(
                f"user {who!r} belongs to group {missing!r}, which is not given"
            ) from None
    return modules
