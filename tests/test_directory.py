"""Which users are active: the status rules of docs/workspace.md."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given

import licbill as lb
from licbill import directory as d
from licbill.strategies import directory_histories

S = lb.UserStatus
WS = lb.Workspace(id="w", created_on=dt.date(2024, 2, 1))


def _dir(mode: d.Provisioning, **kwargs: object) -> d.Directory:
    return d.Directory(workspace=WS, provisioning=mode, **kwargs)  # type: ignore[arg-type]


def _status(directory: d.Directory, user_id: str) -> S:
    return directory.users[user_id].status


def test_sync_tool_mirrors_the_directory() -> None:
    """With status managed from the directory, active there means active here."""
    state = d.replay(
        _dir(d.Provisioning.SYNC_TOOL),
        [d.SyncUser(user_id="u", username="ann", active=True), d.ChangeDirectoryStatus("u", False)],
    )
    assert _status(state, "u") is S.INACTIVE
    state = d.apply(state, d.ChangeDirectoryStatus("u", True))
    assert _status(state, "u") is S.ACTIVE


def test_new_users_get_the_default_modules_and_admins_get_all() -> None:
    """Newly synced users get the workspace's defaults; admins every module when it says so."""
    ws = lb.Workspace(
        id="w", created_on=dt.date(2024, 2, 1), default_modules={lb.Module.ENGAGE},
        admin_gets_all_modules=True,
    )  # fmt: skip
    state = d.replay(
        d.Directory(workspace=ws, provisioning=d.Provisioning.SYNC_TOOL),
        [
            d.SyncUser(user_id="u", username="ann"),
            d.SyncUser(user_id="a", username="root", admin=True),
        ],
    )
    assert state.users["u"].modules == {lb.Module.ENGAGE}
    assert state.users["a"].modules == set(lb.Module)


def test_manual_edits_are_refused_while_sync_runs() -> None:
    """A synced user's status cannot be edited while sync is running."""
    state = d.apply(_dir(d.Provisioning.SYNC_TOOL), d.SyncUser(user_id="u", username="ann"))
    with pytest.raises(lb.EditRefusedError, match="stop the synchronisation"):
        d.apply(state, d.SetStatus("u", S.INACTIVE))


def test_sync_tool_needs_the_workspace_option_for_manual_edits() -> None:
    """With sync stopped, the sync tool still refuses edits until status is managed here."""
    state = d.replay(
        _dir(d.Provisioning.SYNC_TOOL),
        [d.SyncUser(user_id="u", username="ann"), d.StopSync()],
    )
    with pytest.raises(lb.EditRefusedError, match="from the workspace"):
        d.apply(state, d.SetStatus("u", S.INACTIVE))
    state = d.replay(
        state, [d.SetStatusSource(d.StatusSource.WORKSPACE), d.SetStatus("u", S.INACTIVE)]
    )
    assert _status(state, "u") is S.INACTIVE
    # Managed from the workspace, the directory's changes leave the status alone.
    state = d.replay(state, [d.StartSync(), d.ChangeDirectoryStatus("u", True)])
    assert _status(state, "u") is S.INACTIVE


def test_scim_default_status_is_not_retroactive() -> None:
    """Changing the SCIM default applies to new users only; inactive users stay inactive."""
    state = d.replay(
        _dir(d.Provisioning.SCIM, scim_default_status=S.INACTIVE),
        [
            d.SyncUser(user_id="old", username="old"),
            d.SetScimDefaultStatus(S.ACTIVE),
            d.SyncUser(user_id="new", username="new"),
            d.SyncUser(user_id="old", username="old-renamed"),
        ],
    )
    assert (_status(state, "old"), _status(state, "new")) == (S.INACTIVE, S.ACTIVE)
    assert state.users["old"].username == "old-renamed"


def test_scim_edits_need_sync_stopped_only() -> None:
    """Over SCIM a status can be edited by hand once sync is stopped."""
    state = d.apply(_dir(d.Provisioning.SCIM), d.SyncUser(user_id="u", username="u"))
    with pytest.raises(lb.EditRefusedError):
        d.apply(state, d.SetStatus("u", S.INACTIVE))
    state = d.replay(state, [d.StopSync(), d.SetStatus("u", S.INACTIVE)])
    assert _status(state, "u") is S.INACTIVE


def test_scim_deactivation_moves_to_the_deleted_list_and_back() -> None:
    """Deactivated over SCIM, a user moves to the deleted list; it can be restored."""
    state = d.replay(
        _dir(d.Provisioning.SCIM),
        [d.SyncUser(user_id="u", username="u"), d.ChangeDirectoryStatus("u", False)],
    )
    assert "u" not in state.users
    assert state.deleted["u"].status is S.DELETED
    with pytest.raises(lb.UnknownUserError, match="deleted users list"):
        d.apply(state, d.SetStatus("u", S.ACTIVE))
    with pytest.raises(lb.DirectoryError, match="restore it first"):
        d.apply(state, d.SyncUser(user_id="u", username="u"))
    state = d.apply(state, d.RestoreUser("u"))
    assert _status(state, "u") is S.ACTIVE


def test_leaving_scope_and_hard_delete() -> None:
    """Leaving scope is restorable; a hard delete removes the user for good."""
    state = d.replay(
        _dir(d.Provisioning.SYNC_TOOL),
        [
            d.SyncUser(user_id="u", username="u"),
            d.SyncUser(user_id="v", username="v"),
            d.LeaveScope("u"),
        ],
    )
    assert set(state.deleted) == {"u"}
    state = d.replay(state, [d.HardDelete("u"), d.HardDelete("v")])
    assert not state.users
    assert not state.deleted
    with pytest.raises(lb.UnknownUserError):
        d.apply(state, d.RestoreUser("u"))


def test_unknown_users_and_manual_workspaces() -> None:
    """Events for unknown users are refused; a manual workspace takes no directory events."""
    with pytest.raises(lb.UnknownUserError, match="'ghost'"):
        d.apply(_dir(d.Provisioning.SYNC_TOOL), d.ChangeDirectoryStatus("ghost", True))
    manual = _dir(d.Provisioning.MANUAL, users=[lb.User(id="u", username="u")])
    with pytest.raises(lb.DirectoryError, match="manually provisioned"):
        d.apply(manual, d.SyncUser(user_id="u", username="u"))
    assert _status(d.apply(manual, d.SetStatus("u", S.INACTIVE)), "u") is S.INACTIVE


@pytest.mark.parametrize(
    "build",
    [
        lambda: d.SetStatus("u", S.DELETED),
        lambda: d.SetStatus("", S.ACTIVE),
        lambda: d.ChangeDirectoryStatus("u", "yes"),
        lambda: d.SetStatusSource("workspace"),
        lambda: d.Directory(workspace="w", provisioning=d.Provisioning.SCIM),
        lambda: d.Directory(workspace=WS, provisioning=d.Provisioning.SCIM, users=["u"]),
        lambda: d.Directory(workspace=WS, provisioning=d.Provisioning.SCIM, users="u"),
        lambda: d.apply(_dir(d.Provisioning.SCIM), "sync"),
        lambda: d.apply("directory", d.StopSync()),
    ],
)
def test_malformed_directory_input_is_refused(build: object) -> None:
    """Malformed events and directories are refused with licbill errors."""
    with pytest.raises(lb.LicbillError):
        build()  # type: ignore[operator]


def test_deleted_is_a_value_a_manual_status_cannot_take() -> None:
    """Setting a user's status to DELETED by hand is a value error (deletion is HardDelete)."""
    with pytest.raises(lb.InvalidValueError, match="ACTIVE or INACTIVE"):
        d.SetStatus("u", S.DELETED)
    with pytest.raises(lb.InvalidTypeError, match="UserStatus"):
        d.SetStatus("u", "active")  # type: ignore[arg-type]


def _replay_refusals_kept(directory: d.Directory, events: tuple[object, ...]) -> tuple[object, ...]:
    """Replay, recording each refusal instead of stopping: every event is applied or refused."""
    outcome: list[object] = []
    for event in events:
        try:
            directory = d.apply(directory, event)  # type: ignore[arg-type]
            outcome.append(directory)
        except lb.DirectoryError as error:
            outcome.append((type(error), error.event is event))
    return tuple(outcome)


@given(history=directory_histories())
def test_replay_is_deterministic(history: tuple[d.Directory, tuple[object, ...]]) -> None:
    """The same directory events from the same state give the same states and refusals."""
    start, events = history
    assert _replay_refusals_kept(start, events) == _replay_refusals_kept(start, events)


@given(history=directory_histories())
def test_directory_sync_events_are_idempotent(
    history: tuple[d.Directory, tuple[object, ...]],
) -> None:
    """A directory event delivered twice in a row leaves the state as one delivery did."""
    start, events = history
    state = start
    for event in events:
        try:
            once = d.apply(state, event)  # type: ignore[arg-type]
        except lb.DirectoryError:
            continue
        if isinstance(event, d.SyncUser | d.ChangeDirectoryStatus | d.LeaveScope | d.HardDelete):
            assert d.apply(once, event) == once  # type: ignore[arg-type]
        state = once
    assert all(u.status is not S.DELETED for u in state.users.values())
    assert all(u.status is S.DELETED for u in state.deleted.values())
