"""Which users are active: the status rules of RULEBOOK B3 as a pure state machine.

A :class:`Directory` holds a workspace's users, its deleted-users list and its provisioning
settings. :func:`apply` takes one event and returns the next directory, or raises a
:class:`~licbill.DirectoryError` that says why the event is refused; :func:`replay` applies
many. No event is ever dropped silently.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from ._validators import flag, identifier
from .errors import DirectoryError, EditRefusedError, InvalidTypeError, UnknownUserError
from .workspace import User, UserStatus, Workspace

__all__ = [
    "ChangeDirectoryStatus",
    "Directory",
    "HardDelete",
    "LeaveScope",
    "Provisioning",
    "RestoreUser",
    "SetScimDefaultStatus",
    "SetStatus",
    "SetStatusSource",
    "StartSync",
    "StatusSource",
    "StopSync",
    "SyncUser",
    "apply",
    "replay",
]


class Provisioning(enum.Enum):
    """How users reach the workspace."""

    #: Users are made by hand in the workspace.
    MANUAL = "manual"
    #: The directory sync tool.
    SYNC_TOOL = "sync-tool"
    #: Automated provisioning over the SCIM API.
    SCIM = "scim"


class StatusSource(enum.Enum):
    """The sync tool's option: where a synced user's active status is managed."""

    #: "Manage active status from the directory": the workspace mirrors the directory.
    DIRECTORY = "directory"
    #: "Manage active status from the workspace": status is set in the workspace.
    WORKSPACE = "workspace"


def _status(_instance: Any, _attribute: Any, value: Any) -> None:
    if value not in (UserStatus.ACTIVE, UserStatus.INACTIVE):
        raise InvalidTypeError(f"status must be UserStatus.ACTIVE or INACTIVE, not {value!r}")


@attrs.frozen(kw_only=True)
class SyncUser:
    """The directory reports a user (new or known) with its profile and directory status."""

    user_id: str = attrs.field(validator=identifier)
    username: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    guest: bool = attrs.field(default=False, validator=flag)
    admin: bool = attrs.field(default=False, validator=flag)
    active: bool = attrs.field(default=True, validator=flag)


@attrs.frozen
class ChangeDirectoryStatus:
    """A user's status changes in the directory (active there or not)."""

    user_id: str = attrs.field(validator=identifier)
    active: bool = attrs.field(validator=flag)


@attrs.frozen
class LeaveScope:
    """A user leaves the synced scope: it moves to the deleted users list (restorable)."""

    user_id: str = attrs.field(validator=identifier)


@attrs.frozen
class HardDelete:
    """A user is deleted for good in the directory: it leaves the workspace entirely."""

    user_id: str = attrs.field(validator=identifier)


@attrs.frozen
class RestoreUser:
    """An admin restores a user from the deleted users list, with the given status."""

    user_id: str = attrs.field(validator=identifier)
    status: UserStatus = attrs.field(default=UserStatus.ACTIVE, validator=_status)


@attrs.frozen
class SetStatus:
    """An admin sets a user's status by hand on the licence or user management page."""

    user_id: str = attrs.field(validator=identifier)
    status: UserStatus = attrs.field(validator=_status)


@attrs.frozen
class StopSync:
    """Synchronisation is stopped (needed before any manual edit of a synced user)."""


@attrs.frozen
class StartSync:
    """Synchronisation runs again."""


@attrs.frozen
class SetStatusSource:
    """The sync tool's status option changes."""

    source: StatusSource = attrs.field(validator=attrs.validators.instance_of(StatusSource))


@attrs.frozen
class SetScimDefaultStatus:
    """The default status of users newly provisioned over SCIM; users already there keep theirs."""

    status: UserStatus = attrs.field(validator=_status)


DirectoryEvent = (
    SyncUser
    | ChangeDirectoryStatus
    | LeaveScope
    | HardDelete
    | RestoreUser
    | SetStatus
    | StopSync
    | StartSync
    | SetStatusSource
    | SetScimDefaultStatus
)
_EVENTS = DirectoryEvent.__args__


def _users(value: Any) -> Mapping[str, User]:
    if isinstance(value, Mapping):
        value = value.values()
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidTypeError(f"users must be a collection of licbill.User, not {value!r}")
    users: dict[str, User] = {}
    for user in value:
        if not isinstance(user, User):
            raise InvalidTypeError(f"not a licbill.User: {user!r}")
        users[user.id] = user
    return MappingProxyType(dict(sorted(users.items())))


@attrs.frozen(kw_only=True)
class Directory:
    """A workspace's users as provisioning left them.

    ``users`` are the workspace's users (active or inactive); ``deleted`` its deleted users
    list, whose users hold no seat and can be restored.
    """

    workspace: Workspace = attrs.field(validator=attrs.validators.instance_of(Workspace))
    provisioning: Provisioning = attrs.field(validator=attrs.validators.instance_of(Provisioning))
    status_source: StatusSource = attrs.field(
        default=StatusSource.DIRECTORY, validator=attrs.validators.instance_of(StatusSource)
    )
    scim_default_status: UserStatus = attrs.field(default=UserStatus.ACTIVE, validator=_status)
    syncing: bool = attrs.field(default=True, validator=flag)
    users: Mapping[str, User] = attrs.field(factory=dict, converter=_users)
    deleted: Mapping[str, User] = attrs.field(factory=dict, converter=_users)

    def all_users(self) -> tuple[User, ...]:
        """Every user, the deleted list included (their status is ``DELETED``)."""
        return (*self.users.values(), *self.deleted.values())


def replay(directory: Directory, events: Iterable[DirectoryEvent]) -> Directory:
    """Apply *events* in order; the first refused event raises, naming itself."""
    if isinstance(events, str | bytes) or not isinstance(events, Iterable):
        raise InvalidTypeError(f"events must be a collection of directory events, not {events!r}")
    for event in events:
        directory = apply(directory, event)
    return directory


def apply(directory: Directory, event: DirectoryEvent) -> Directory:
    """Return *directory* after *event*, or raise a :class:`~licbill.DirectoryError`."""
    if not isinstance(directory, Directory):
        raise InvalidTypeError(f"not a licbill Directory: {directory!r}")
    if not isinstance(event, _EVENTS):
        raise InvalidTypeError(f"not a directory event: {event!r}")
    if isinstance(event, StopSync | StartSync):
        return attrs.evolve(directory, syncing=isinstance(event, StartSync))
    if isinstance(event, SetStatusSource):
        return attrs.evolve(directory, status_source=event.source)
    if isinstance(event, SetScimDefaultStatus):
        # Not retroactive: users already imported keep their status.
        return attrs.evolve(directory, scim_default_status=event.status)
    if isinstance(event, SetStatus):
        return _set_status(directory, event)
    if isinstance(event, RestoreUser):
        return _restore(directory, event)
    if directory.provisioning is Provisioning.MANUAL:
        raise DirectoryError(
            "a manually provisioned workspace receives no directory events", event=event
        )
    if isinstance(event, SyncUser):
        return _sync(directory, event)
    if isinstance(event, HardDelete):
        return _without(directory, event.user_id, event)
    if isinstance(event, LeaveScope):
        return _to_deleted(directory, event.user_id, event)
    return _directory_status(directory, event)


def _mirrors_directory(directory: Directory) -> bool:
    return (
        directory.provisioning is Provisioning.SYNC_TOOL
        and directory.status_source is StatusSource.DIRECTORY
    )


def _sync(directory: Directory, event: SyncUser) -> Directory:
    profile: dict[str, Any] = {
        "username": event.username,
        "email": event.email,
        "first_name": event.first_name,
        "last_name": event.last_name,
        "guest": event.guest,
        "admin": event.admin,
    }
    known = directory.users.get(event.user_id)
    if known is not None:
        status = known.status
        if _mirrors_directory(directory):
            status = UserStatus.ACTIVE if event.active else UserStatus.INACTIVE
        elif directory.provisioning is Provisioning.SCIM and not event.active:
            return _to_deleted(directory, event.user_id, event)
        return _with(directory, attrs.evolve(known, status=status, **profile))
    if event.user_id in directory.deleted:
        if not event.active:
            return directory  # deactivated there, on the deleted list here: nothing to do
        raise DirectoryError(
            f"user {event.user_id!r} is on the deleted users list: restore it first", event=event
        )
    if directory.provisioning is Provisioning.SCIM:
        if not event.active:
            return directory  # SCIM does not import a user the directory has deactivated
        status = directory.scim_default_status
    else:
        status = UserStatus.ACTIVE if event.active else UserStatus.INACTIVE
    modules = directory.workspace.modules_for_new_user(admin=event.admin)
    user = User(id=event.user_id, status=status, modules=modules, **profile)
    return _with(directory, user)


def _directory_status(directory: Directory, event: ChangeDirectoryStatus) -> Directory:
    if not event.active and event.user_id in directory.deleted:
        return directory  # a repeated deactivation: the user is on the deleted list already
    user = _known(directory, event.user_id, event)
    if directory.provisioning is Provisioning.SCIM:
        if event.active:
            return directory  # an active directory user keeps the workspace's status
        return _to_deleted(directory, event.user_id, event)
    if directory.status_source is StatusSource.WORKSPACE:
        return directory  # the workspace manages status: the directory's change has no effect
    status = UserStatus.ACTIVE if event.active else UserStatus.INACTIVE
    return _with(directory, attrs.evolve(user, status=status))


def _set_status(directory: Directory, event: SetStatus) -> Directory:
    user = _known(directory, event.user_id, event)
    if directory.provisioning is not Provisioning.MANUAL:
        if directory.syncing:
            raise EditRefusedError(
                "stop the synchronisation before editing a synced user", event=event
            )
        if _mirrors_directory(directory):
            raise EditRefusedError(
                "the sync tool manages status from the directory: set the option to "
                "'manage active status from the workspace' first",
                event=event,
            )
    return _with(directory, attrs.evolve(user, status=event.status))


def _restore(directory: Directory, event: RestoreUser) -> Directory:
    user = directory.deleted.get(event.user_id)
    if user is None:
        raise UnknownUserError(
            f"user {event.user_id!r} is not on the deleted users list", event=event
        )
    deleted = {k: v for k, v in directory.deleted.items() if k != event.user_id}
    restored = attrs.evolve(user, status=event.status)
    return attrs.evolve(
        directory, users={**directory.users, event.user_id: restored}, deleted=deleted
    )


def _known(directory: Directory, user_id: str, event: object) -> User:
    user = directory.users.get(user_id)
    if user is None:
        where = " (it is on the deleted users list)" if user_id in directory.deleted else ""
        raise UnknownUserError(f"the workspace has no user {user_id!r}{where}", event=event)
    return user


def _with(directory: Directory, user: User) -> Directory:
    return attrs.evolve(directory, users={**directory.users, user.id: user})


def _to_deleted(directory: Directory, user_id: str, event: object) -> Directory:
    if user_id in directory.deleted:
        return directory  # already there: leaving scope twice is one move
    user = _known(directory, user_id, event)
    users = {k: v for k, v in directory.users.items() if k != user_id}
    deleted = {**directory.deleted, user_id: attrs.evolve(user, status=UserStatus.DELETED)}
    return attrs.evolve(directory, users=users, deleted=deleted)


def _without(directory: Directory, user_id: str, event: object) -> Directory:
    if user_id not in directory.users and user_id not in directory.deleted:
        return directory  # already gone for good: a repeated hard delete changes nothing
    users = {k: v for k, v in directory.users.items() if k != user_id}
    deleted = {k: v for k, v in directory.deleted.items() if k != user_id}
    return attrs.evolve(directory, users=users, deleted=deleted)
