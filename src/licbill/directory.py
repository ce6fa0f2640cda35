"""Which users are active: the status rules of docs/workspace.md as a pure state machine.

A :class:`Directory` holds a workspace's users, its deleted-users list, the directory's last
known status of each synced user and its provisioning settings. :func:`apply` takes one event
and returns the next directory, or raises a :class:`~licbill.DirectoryError` that says why the
event is refused; :func:`replay` applies many, in time linear in the number of events.
:func:`replay_history` also returns the dated :class:`~licbill.Revision` history that
:func:`~licbill.monthly_invoice` takes. No event is ever dropped silently.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from ._validators import flag, identifier, of_type
from .errors import (
    DirectoryError,
    EditRefusedError,
    InvalidTypeError,
    InvalidValueError,
    UnknownUserError,
)
from .periods import Month, check_date
from .seats import MonthState, Revision, cut_history, keyed
from .workspace import Group, User, UserStatus, Workspace

__all__ = [
    "ChangeDirectoryStatus",
    "Directory",
    "DirectoryHistory",
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
    "replay_history",
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


def _on(_instance: Any, _attribute: Any, value: Any) -> None:
    if value is not None:
        check_date(value, "on")


def _not_deleted(_instance: Any, _attribute: Any, value: Any) -> None:
    if value is UserStatus.DELETED:
        # A value problem, not a type one: deletion is an event of its own (HardDelete).
        raise InvalidValueError(f"status must be UserStatus.ACTIVE or INACTIVE, not {value!r}")


_status = attrs.validators.and_(of_type(UserStatus), _not_deleted)


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
    on: dt.date | None = attrs.field(default=None, kw_only=True, validator=_on)


@attrs.frozen
class ChangeDirectoryStatus:
    """A user's status changes in the directory (active there or not)."""

    user_id: str = attrs.field(validator=identifier)
    active: bool = attrs.field(validator=flag)
    on: dt.date | None = attrs.field(default=None, kw_only=True, validator=_on)


@attrs.frozen
class LeaveScope:
    """A user leaves the synced scope: it moves to the deleted users list (restorable)."""

    user_id: str = attrs.field(validator=identifier)
    on: dt.date | None = attrs.field(default=None, kw_only=True, validator=_on)


@attrs.frozen
class HardDelete:
    """A user is deleted for good in the directory: it leaves the workspace entirely."""

    user_id: str = attrs.field(validator=identifier)
    on: dt.date | None = attrs.field(default=None, kw_only=True, validator=_on)


@attrs.frozen
class RestoreUser:
    """An admin restores a user from the deleted users list, with the given status."""

    user_id: str = attrs.field(validator=identifier)
    status: UserStatus = attrs.field(default=UserStatus.ACTIVE, validator=_status)
    on: dt.date | None = attrs.field(default=None, kw_only=True, validator=_on)


@attrs.frozen
class SetStatus:
    """An admin sets a user's status by hand on the licence or user management page."""

    user_id: str = attrs.field(validator=identifier)
    status: UserStatus = attrs.field(validator=_status)
    on: dt.date | None = attrs.field(default=None, kw_only=True, validator=_on)


@attrs.frozen
class StopSync:
    """Synchronisation is stopped (needed before any manual edit of a synced user)."""

    on: dt.date | None = attrs.field(default=None, kw_only=True, validator=_on)


@attrs.frozen
class StartSync:
    """Synchronisation runs again."""

    on: dt.date | None = attrs.field(default=None, kw_only=True, validator=_on)


@attrs.frozen
class SetStatusSource:
    """The sync tool's status option changes."""

    source: StatusSource = attrs.field(validator=of_type(StatusSource))
    on: dt.date | None = attrs.field(default=None, kw_only=True, validator=_on)


@attrs.frozen
class SetScimDefaultStatus:
    """The default status of users newly provisioned over SCIM; users already there keep theirs."""

    status: UserStatus = attrs.field(validator=_status)
    on: dt.date | None = attrs.field(default=None, kw_only=True, validator=_on)


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
        for key, user in value.items():
            if isinstance(user, User) and key != user.id:
                raise InvalidValueError(f"users key {key!r} holds user {user.id!r}")
        value = value.values()
    return MappingProxyType(dict(sorted(keyed(value, User, "users").items())))


def _known_status(value: Any) -> Mapping[str, bool]:
    if not isinstance(value, Mapping):
        raise InvalidTypeError(f"directory_status must map user ids to bool, not {value!r}")
    for user_id, active in value.items():
        if not isinstance(user_id, str) or not isinstance(active, bool):
            raise InvalidTypeError(
                f"directory_status maps user ids to bool, not {user_id!r}: {active!r}"
            )
    return MappingProxyType(dict(sorted(value.items())))


@attrs.frozen(kw_only=True)
class Directory:
    """A workspace's users as provisioning left them.

    ``users`` are the workspace's users (active or inactive), one per id; ``deleted`` its
    deleted users list, whose users hold no seat and can be restored. ``directory_status``
    keeps the directory's last known status of each synced user (``True`` for active), so that
    switching the sync tool back to "manage active status from the directory" mirrors it at
    once.
    """

    workspace: Workspace = attrs.field(validator=of_type(Workspace))
    provisioning: Provisioning = attrs.field(validator=of_type(Provisioning))
    status_source: StatusSource = attrs.field(
        default=StatusSource.DIRECTORY, validator=of_type(StatusSource)
    )
    scim_default_status: UserStatus = attrs.field(default=UserStatus.ACTIVE, validator=_status)
    syncing: bool = attrs.field(default=True, validator=flag)
    users: Mapping[str, User] = attrs.field(factory=dict, converter=_users)
    deleted: Mapping[str, User] = attrs.field(factory=dict, converter=_users)
    directory_status: Mapping[str, bool] = attrs.field(factory=dict, converter=_known_status)

    def __attrs_post_init__(self) -> None:
        both = sorted(self.users.keys() & self.deleted.keys())
        if both:
            raise InvalidValueError(f"user {both[0]!r} is both a user and on the deleted list")

    def all_users(self) -> tuple[User, ...]:
        """Every user, the deleted list included (their status is ``DELETED``)."""
        return (*self.users.values(), *self.deleted.values())


@attrs.frozen(kw_only=True)
class DirectoryHistory:
    """What :func:`replay_history` returns: the directory before and after the events, and the
    dated revision of every user an event changed.

    A user that leaves for good (:class:`HardDelete`) gets a revision with status ``DELETED``,
    like a user moved to the deleted users list: neither holds a seat.
    """

    start: Directory
    end: Directory
    revisions: tuple[Revision, ...]

    def month(self, month: Month, *, groups: Iterable[Group] = ()) -> MonthState:
        """The users on *month*'s first day and the revisions inside it, as
        :func:`~licbill.monthly_invoice` takes them (see :func:`~licbill.cut_history`)."""
        return cut_history(
            users=self.start.all_users(), groups=groups, history=self.revisions, month=month
        )


def replay(directory: Directory, events: Iterable[DirectoryEvent]) -> Directory:
    """Apply *events* in order; the first refused event raises, naming itself.

    The work is linear in the number of events: the directory is copied once, not per event.
    """
    state = _State(directory)
    for event in _events(events):
        state.step(event)
    return state.freeze()


def replay_history(directory: Directory, events: Iterable[DirectoryEvent]) -> DirectoryHistory:
    """Apply dated *events* in order and return the directory after them with the dated
    :class:`~licbill.Revision` of every user each event changed.

    Every event needs its ``on=`` date, and dates never go back; both are refused with a
    :class:`~licbill.DirectoryError` naming the event, like any refused event.
    """
    state = _State(directory)
    revisions: list[Revision] = []
    previous: dt.date | None = None
    for event in _events(events):
        if event.on is None:
            raise DirectoryError("a dated history needs every event's on= date", event=event)
        if previous is not None and event.on < previous:
            raise DirectoryError(
                f"events go back in time: {event.on} after {previous}", event=event
            )
        previous = event.on
        state.changed = {}
        state.step(event)
        revisions.extend(Revision(event.on, user) for user in state.changed.values())
    return DirectoryHistory(start=directory, end=state.freeze(), revisions=tuple(revisions))


def apply(directory: Directory, event: DirectoryEvent) -> Directory:
    """Return *directory* after *event*, or raise a :class:`~licbill.DirectoryError`."""
    state = _State(directory)
    state.step(_event(event))
    return state.freeze()


def _events(events: Any) -> Iterable[DirectoryEvent]:
    if isinstance(events, str | bytes) or not isinstance(events, Iterable):
        raise InvalidTypeError(f"events must be a collection of directory events, not {events!r}")
    return map(_event, events)


def _event(event: Any) -> DirectoryEvent:
    if not isinstance(event, _EVENTS):
        raise InvalidTypeError(f"not a directory event: {event!r}")
    return event  # type: ignore[no-any-return]


def _active(active: bool) -> UserStatus:
    return UserStatus.ACTIVE if active else UserStatus.INACTIVE


class _State:
    """A directory being replayed: plain dicts changed in place, frozen once at the end."""

    def __init__(self, directory: Directory) -> None:
        if not isinstance(directory, Directory):
            raise InvalidTypeError(f"not a licbill Directory: {directory!r}")
        self.directory = directory
        self.workspace = directory.workspace
        self.provisioning = directory.provisioning
        self.status_source = directory.status_source
        self.scim_default_status = directory.scim_default_status
        self.syncing = directory.syncing
        self.users = dict(directory.users)
        self.deleted = dict(directory.deleted)
        self.known = dict(directory.directory_status)
        #: The users changed by the current event, when a history is recorded.
        self.changed: dict[str, User] | None = None

    def freeze(self) -> Directory:
        return Directory(
            workspace=self.workspace,
            provisioning=self.provisioning,
            status_source=self.status_source,
            scim_default_status=self.scim_default_status,
            syncing=self.syncing,
            users=self.users,
            deleted=self.deleted,
            directory_status=self.known,
        )

    def mirrors_directory(self) -> bool:
        return (
            self.provisioning is Provisioning.SYNC_TOOL
            and self.status_source is StatusSource.DIRECTORY
        )

    def record(self, user: User) -> None:
        if self.changed is not None:
            self.changed[user.id] = user

    def put(self, user: User) -> None:
        if self.users.get(user.id) != user:
            self.users[user.id] = user
            self.record(user)

    def step(self, event: DirectoryEvent) -> None:
        if isinstance(event, StopSync | StartSync):
            self.syncing = isinstance(event, StartSync)
        elif isinstance(event, SetStatusSource):
            self.status_source = event.source
            if self.mirrors_directory():
                self.mirror_known()
        elif isinstance(event, SetScimDefaultStatus):
            # Not retroactive: users already imported keep their status.
            self.scim_default_status = event.status
        elif isinstance(event, SetStatus):
            self.set_status(event)
        elif isinstance(event, RestoreUser):
            self.restore(event)
        elif self.provisioning is Provisioning.MANUAL:
            raise DirectoryError(
                "a manually provisioned workspace receives no directory events", event=event
            )
        elif isinstance(event, SyncUser):
            self.sync(event)
        elif isinstance(event, HardDelete):
            self.remove(event.user_id)
        elif isinstance(event, LeaveScope):
            self.to_deleted(event.user_id, event)
        else:
            self.directory_status(event)

    def mirror_known(self) -> None:
        # Back to "manage active status from the directory": the last status the directory
        # reported holds at once (docs/workspace.md, "Which users are active").
        for user_id, active in self.known.items():
            user = self.users.get(user_id)
            if user is not None:
                self.put(attrs.evolve(user, status=_active(active)))

    def sync(self, event: SyncUser) -> None:
        profile: dict[str, Any] = {
            "username": event.username,
            "email": event.email,
            "first_name": event.first_name,
            "last_name": event.last_name,
            "guest": event.guest,
            "admin": event.admin,
        }
        known = self.users.get(event.user_id)
        if known is not None:
            self.known[event.user_id] = event.active
            status = known.status
            if self.mirrors_directory():
                status = _active(event.active)
            elif self.provisioning is Provisioning.SCIM and not event.active:
                self.to_deleted(event.user_id, event)
                return
            self.put(attrs.evolve(known, status=status, **profile))
            return
        if event.user_id in self.deleted:
            if not event.active:
                self.known[event.user_id] = False
                return  # deactivated there, on the deleted list here: nothing to do
            raise DirectoryError(
                f"user {event.user_id!r} is on the deleted users list: restore it first",
                event=event,
            )
        if self.provisioning is Provisioning.SCIM:
            if not event.active:
                return  # SCIM does not import a user the directory has deactivated
            status = self.scim_default_status
        else:
            status = _active(event.active)
        self.known[event.user_id] = event.active
        modules = self.workspace.modules_for_new_user(admin=event.admin)
        self.put(User(id=event.user_id, status=status, modules=modules, **profile))

    def directory_status(self, event: ChangeDirectoryStatus) -> None:
        if not event.active and event.user_id in self.deleted:
            self.known[event.user_id] = False
            return  # a repeated deactivation: the user is on the deleted list already
        user = self.known_user(event.user_id, event)
        self.known[event.user_id] = event.active
        if self.provisioning is Provisioning.SCIM:
            if not event.active:
                self.to_deleted(event.user_id, event)
            return  # an active directory user keeps the workspace's status
        if self.status_source is StatusSource.WORKSPACE:
            return  # the workspace manages status: the directory's change has no effect
        self.put(attrs.evolve(user, status=_active(event.active)))

    def set_status(self, event: SetStatus) -> None:
        user = self.known_user(event.user_id, event)
        if self.provisioning is not Provisioning.MANUAL:
            if self.syncing:
                raise EditRefusedError(
                    "stop the synchronisation before editing a synced user", event=event
                )
            if self.mirrors_directory():
                raise EditRefusedError(
                    "the sync tool manages status from the directory: set the option to "
                    "'manage active status from the workspace' first",
                    event=event,
                )
        self.put(attrs.evolve(user, status=event.status))

    def restore(self, event: RestoreUser) -> None:
        user = self.deleted.pop(event.user_id, None)
        if user is None:
            raise UnknownUserError(
                f"user {event.user_id!r} is not on the deleted users list", event=event
            )
        self.put(attrs.evolve(user, status=event.status))

    def known_user(self, user_id: str, event: object) -> User:
        user = self.users.get(user_id)
        if user is None:
            where = " (it is on the deleted users list)" if user_id in self.deleted else ""
            raise UnknownUserError(f"the workspace has no user {user_id!r}{where}", event=event)
        return user

    def to_deleted(self, user_id: str, event: object) -> None:
        if user_id in self.deleted:
            return  # already there: leaving scope twice is one move
        user = self.known_user(user_id, event)
        del self.users[user_id]
        gone = attrs.evolve(user, status=UserStatus.DELETED)
        self.deleted[user_id] = gone
        self.record(gone)

    def remove(self, user_id: str) -> None:
        user = self.users.pop(user_id, None) or self.deleted.pop(user_id, None)
        self.known.pop(user_id, None)
        if user is not None and user.status is not UserStatus.DELETED:
            self.record(attrs.evolve(user, status=UserStatus.DELETED))
        # A user already gone for good: a repeated hard delete changes nothing.
