"""Workspace billing a partner can invoice from: each rule rests on a sentence of the Workspace 365
billing page ("Over facturatie en facturatie"), quoted in Dutch with a translation."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from types import FrameType

import attrs
import pytest
from hypothesis import given, settings

import licbill as lb
from licbill import directory as d
from licbill.io import reports
from licbill.strategies import (
    DatedDirectoryHistory,
    WorkspaceMonth,
    dated_directory_histories,
    workspace_months,
)
from sample_prices import PRICES

M, K, S = lb.Module, lb.UserKind, lb.UserStatus
D = dt.date
JUNE, JULY = lb.Month(2024, 6), lb.Month(2024, 7)
OLD = lb.Workspace(id="w-old", created_on=D(2022, 3, 1), edition=lb.LegacyEdition.ADAPT)
NEW = lb.Workspace(
    id="w-new",
    created_on=D(2024, 3, 1),
    billing=lb.BillingInfo(
        company_name="Contoso", reference="R-17", customer_type="MSP", industry="Retail"
    ),
)
ANN = lb.User(id="ann", username="ann", modules={M.HYBRID})
NOBODY = lb.User(id="nil", username="nil")
EVERY_PRICE = lb.PriceList(
    {(p, k): lb.Money("3.00", "EUR") for p in [*M, *lb.LegacyEdition] for k in K}
)


def _totals(invoice: lb.Invoice) -> dict[str, str]:
    return {f"{x.product.value} {x.user_kind.value}": str(x.total.amount) for x in invoice.lines}


# 1. The module trial is a period ---------------------------------------------------------------


def test_legacy_modules_are_free_inside_the_trial_and_billed_after_it() -> None:
    """Seed: "... bieden we onze partners en klanten een gratis proefperiode aan om de nieuwe
    modules (Hybrid, Engage en/of Unify) uit te proberen." (we offer our partners and customers
    a free trial period to try the new modules): free inside the period, priced after it."""
    trial = lb.ModuleTrial(ends_on=D(2024, 6, 30))
    june = lb.monthly_invoice(OLD, users=[ANN], month=JUNE, prices=PRICES, trial=trial)
    july = lb.monthly_invoice(OLD, users=[ANN], month=JULY, prices=PRICES, trial=trial)
    assert _totals(june) == {"Adapt regular": "5.00", "Hybrid regular": "0.00"}
    assert _totals(july) == {"Adapt regular": "5.00", "Hybrid regular": "6.00"}


def test_legacy_modules_without_trial_terms_are_refused() -> None:
    """Seed: "... een gratis proefperiode ..." (a free trial *period*): without its end a legacy
    workspace's modules are neither free for ever nor silently billed at zero."""
    with pytest.raises(lb.InvalidValueError, match=r"w-old.*trial=licbill.ModuleTrial"):
        lb.monthly_invoice(OLD, users=[ANN], month=JUNE, prices=PRICES)


def test_legacy_workspace_without_modules_needs_no_trial() -> None:
    """Seed: "... gefactureerd op basis van het oude licentiemodel (Simplify, Adapt of Boost)"
    (billed on the old licence model): no modules held, no trial terms needed."""
    users = [attrs.evolve(ANN, modules=set(), status=S.INACTIVE)]
    assert lb.monthly_invoice(OLD, users=users, month=JUNE, prices=PRICES).lines == ()


@pytest.mark.parametrize(
    ("counting", "hybrid"),
    [
        (lb.Counting.MONTH_END, "6.00"),
        (lb.Counting.ANY_DAY, "6.00"),
        (lb.Counting.PEAK, "6.00"),
        (lb.Counting.DAILY_PRORATED, "3.10"),
    ],
)
def test_a_trial_ending_mid_month_bills_the_paid_days_per_policy(
    counting: lb.Counting, hybrid: str
) -> None:
    """Seed: "... een gratis proefperiode ..." (a free trial period): in the month it ends, the
    days after it count under the counting policy; prorated, 16 of July's 31 days are paid."""
    trial = lb.ModuleTrial(ends_on=D(2024, 7, 15))
    invoice = lb.monthly_invoice(
        OLD, users=[ANN], month=JULY, prices=PRICES, trial=trial, counting=counting,
        rounding=lb.Rounding.PER_LINE_HALF_UP,
    )  # fmt: skip
    assert _totals(invoice)["Hybrid regular"] == hybrid


def test_a_module_dropped_inside_the_trial_is_not_billed_after_it() -> None:
    """Seed: "... een gratis proefperiode ..." (a free trial period): a module held only on
    free days costs nothing, even under ANY_DAY."""
    trial = lb.ModuleTrial(ends_on=D(2024, 7, 15))
    history = [lb.Revision(D(2024, 7, 10), attrs.evolve(ANN, modules={M.ENGAGE}))]
    invoice = lb.monthly_invoice(
        OLD, users=[ANN], month=JULY, prices=PRICES, trial=trial, history=history,
        counting=lb.Counting.ANY_DAY,
    )  # fmt: skip
    assert "Hybrid regular" not in _totals(invoice)
    assert _totals(invoice)["Engage regular"] == "4.00"


def test_partner_report_takes_the_trial() -> None:
    """Seed: "... een gratis proefperiode ..." (a free trial period): the partner report bills
    a legacy workspace as its invoice does, trial included, and refuses a bad trial."""
    entry = reports.WorkspaceUsers(workspace=OLD, users=[ANN])
    out = io.StringIO(newline="")
    trials = {"w-old": lb.ModuleTrial(ends_on=D(2024, 6, 30))}
    reports.write_partner_report([entry], out, month=JULY, prices=PRICES, trial=trials)
    row = next(csv.DictReader(io.StringIO(out.getvalue()[1:], newline="")))
    assert row["Total"] == "11.00"
    with pytest.raises(lb.InvalidTypeError, match="trial"):
        reports.write_partner_report([entry], out, month=JULY, prices=PRICES, trial="2024-06")  # type: ignore[arg-type]


# 2. Nothing before the workspace exists; users= is the first day's state -----------------------


def test_a_month_before_creation_is_refused() -> None:
    """Seed: "Aan het einde van elke maand wordt een factuur naar onze partners en klanten
    gestuurd." (at the end of each month an invoice is sent): only months the workspace lived."""
    with pytest.raises(lb.InvalidValueError, match=r"w-new.*2024-03-01.*2024-02"):
        lb.monthly_invoice(NEW, users=[ANN], month=lb.Month(2024, 2), prices=PRICES)


def test_the_creation_month_counts_from_the_creation_day() -> None:
    """Seed: "Aan het einde van elke maand wordt een factuur ... gestuurd." (an invoice at each
    month's end): created on 17 March, a prorated March bills 15 of 31 days."""
    ws = attrs.evolve(NEW, created_on=D(2024, 3, 17))
    invoice = lb.monthly_invoice(
        ws, users=[ANN], month=lb.Month(2024, 3), prices=PRICES,
        counting=lb.Counting.DAILY_PRORATED, rounding=lb.Rounding.PER_LINE_HALF_UP,
    )  # fmt: skip
    assert (str(invoice.lines[0].quantity), str(invoice.total.amount)) == ("0.4839", "2.90")


def test_a_june_invoice_never_reflects_a_july_change() -> None:
    """Seed: "De maandelijkse factuur is gebaseerd op actieve reguliere- en/of gastgebruikers"
    (the monthly invoice is based on active users): June's, as they were in June."""
    history = [
        lb.Revision(D(2024, 6, 20), attrs.evolve(ANN, modules={M.UNIFY})),
        lb.Revision(D(2024, 7, 2), attrs.evolve(ANN, status=S.INACTIVE)),
    ]
    june = lb.cut_history(users=[ANN], history=history, month=JUNE)
    assert june.history == (history[0],)
    invoice = lb.monthly_invoice(NEW, users=june.users, history=history, month=JUNE, prices=PRICES)
    assert _totals(invoice) == {"Unify regular": "8.00"}
    july = lb.cut_history(users=[ANN], history=history, month=JULY)
    assert july.users[0].modules == {M.UNIFY}
    assert july.history == (history[1],)


# 3. Default modules are the workspace's alone ----------------------------------------------------


def test_a_synced_user_holds_no_seat_nobody_assigned() -> None:
    """Seed: "De Workspace-beheerder kan één of meer modules toewijzen aan gebruikers en/of
    groepen." (the admin assigns modules to users and/or groups): a synced admin gets nothing
    the workspace did not set, so it bills nothing."""
    state = d.replay(
        d.Directory(workspace=NEW, provisioning=d.Provisioning.SYNC_TOOL),
        [d.SyncUser(user_id="root", username="root", admin=True)],
    )
    assert state.users["root"].modules == set()
    assert lb.monthly_invoice(NEW, users=state.all_users(), month=JUNE, prices=PRICES).lines == ()


# 4. Legacy users without modules ---------------------------------------------------------------


def test_legacy_edition_seats_follow_the_named_rule() -> None:
    """Seed: "De maandelijkse factuur is gebaseerd op actieve reguliere- en/of gastgebruikers
    waaraan één of meer modules zijn toegewezen." (the monthly invoice is based on active
    regular and/or guest users with one or more modules assigned): the default; every active
    legacy user holding the edition is the named alternative."""
    trial = lb.ModuleTrial(ends_on=D(2024, 12, 31))
    seed = lb.monthly_invoice(OLD, users=[ANN, NOBODY], month=JUNE, prices=PRICES, trial=trial)
    assert OLD.legacy_seats is lb.LegacySeats.NEEDS_MODULE
    assert _totals(seed)["Adapt regular"] == "5.00"
    every = attrs.evolve(OLD, legacy_seats=lb.LegacySeats.EVERY_ACTIVE_USER)
    wider = lb.monthly_invoice(every, users=[ANN, NOBODY], month=JUNE, prices=PRICES, trial=trial)
    assert _totals(wider)["Adapt regular"] == "10.00"


# 5. The sync tool remembers the directory's status ---------------------------------------------


def test_switching_back_to_the_directory_mirrors_its_last_status_at_once() -> None:
    """Seed: "Als de optie is ingesteld op "Beheer actieve status vanuit Azure AD" ..., wordt de
    gebruikersstatus in Microsoft Entra ID ... weerspiegeld in Workspace." (with the option set
    to manage active status from Azure AD, the Entra ID status is mirrored in Workspace)."""
    state = d.replay(
        d.Directory(workspace=NEW, provisioning=d.Provisioning.SYNC_TOOL),
        [
            d.SyncUser(user_id="u", username="ann"),
            d.StopSync(),
            d.SetStatusSource(d.StatusSource.WORKSPACE),
            d.ChangeDirectoryStatus("u", False),
            d.SetStatus("u", S.ACTIVE),
        ],
    )
    assert state.users["u"].status is S.ACTIVE
    assert state.directory_status == {"u": False}
    back = d.apply(state, d.SetStatusSource(d.StatusSource.DIRECTORY))
    assert back.users["u"].status is S.INACTIVE


# 6. Directory history dates itself -------------------------------------------------------------


def test_replayed_dated_events_give_the_invoice_its_history() -> None:
    """Seed: "Wanneer je de status van een gebruiker wijzigt van actief naar inactief in
    Microsoft Entra ID, worden deze gebruikers verplaatst naar de lijst met verwijderde
    gebruikers" (a user deactivated in Entra ID moves to the deleted users list): dated, the
    move ends its seat on that day."""
    ws = attrs.evolve(NEW, default_modules={M.ENGAGE})
    start = d.Directory(workspace=ws, provisioning=d.Provisioning.SCIM)
    history = d.replay_history(
        start,
        [
            d.SyncUser(user_id="u", username="ann", on=D(2024, 5, 20)),
            d.ChangeDirectoryStatus("u", False, on=D(2024, 6, 16)),
        ],
    )
    june = history.month(JUNE)
    assert [(r.on, r.value.status) for r in june.history] == [(D(2024, 6, 16), S.DELETED)]
    invoice = lb.monthly_invoice(
        ws, users=june.users, history=june.history, month=JUNE, prices=PRICES,
        counting=lb.Counting.DAILY_PRORATED, rounding=lb.Rounding.PER_LINE_HALF_UP,
    )  # fmt: skip
    assert str(invoice.lines[0].quantity) == "0.5000"
    assert history.end.deleted["u"].status is S.DELETED


def test_replay_history_needs_dated_events_in_order() -> None:
    """Seed: "Aan het einde van elke maand wordt een factuur ... gestuurd." (an invoice at each
    month's end): a history must say which month each change falls in."""
    start = d.Directory(workspace=NEW, provisioning=d.Provisioning.SYNC_TOOL)
    with pytest.raises(lb.DirectoryError, match="on= date"):
        d.replay_history(start, [d.SyncUser(user_id="u", username="ann")])
    with pytest.raises(lb.DirectoryError, match="back in time"):
        d.replay_history(start, [d.StopSync(on=D(2024, 6, 2)), d.StartSync(on=D(2024, 6, 1))])


def test_directory_refuses_duplicate_user_ids() -> None:
    """Seed: "Gebruikersnaam" is one column per user in the export (one row per user): two
    users with one id are refused, not merged."""
    twice = [lb.User(id="u", username="ann"), lb.User(id="u", username="bob")]
    with pytest.raises(lb.InvalidValueError, match="two users have the id 'u'"):
        d.Directory(workspace=NEW, provisioning=d.Provisioning.SCIM, users=twice)
    with pytest.raises(lb.InvalidValueError, match="both a user and on the deleted list"):
        d.Directory(
            workspace=NEW, provisioning=d.Provisioning.SCIM, users=twice[:1], deleted=twice[1:]
        )


def _replay_counting_calls(n: int) -> tuple[int, int, d.Directory]:
    # The Python function calls a replay of n new users makes, and the directories it builds:
    # counted, not timed, so the figure is the same on a busy machine.
    events = [d.SyncUser(user_id=f"u{i}", username=f"n{i}") for i in range(n)]
    start = d.Directory(workspace=NEW, provisioning=d.Provisioning.SYNC_TOOL)
    calls = directories = 0

    def count(frame: FrameType, event: str, _arg: object) -> None:
        nonlocal calls, directories
        if event == "call":
            calls += 1
            directories += frame.f_code.co_name == "__init__" and isinstance(
                frame.f_locals.get("self"), d.Directory
            )

    previous = sys.getprofile()
    sys.setprofile(count)
    try:
        state = d.replay(start, events)
    finally:
        sys.setprofile(previous)
    return calls, directories, state


def test_replay_is_linear() -> None:
    """Seed: "Als je de Azure AD-synctool gebruikt" (using the sync tool): a large directory
    sync must not take minutes (20,000 events did when the directory was rebuilt per event):
    the directory is built once, not once per event, and twice the events make twice the
    Python calls. A copy repeated inside C escapes both counts; the time, which shows it, is
    bench/directory_replay.py's figure."""
    calls, directories, state = _replay_counting_calls(2_000)
    twice, directories_twice, state_twice = _replay_counting_calls(4_000)
    assert (len(state.users), len(state_twice.users)) == (2_000, 4_000)
    assert (directories, directories_twice) == (1, 1)
    assert 1.9 < twice / calls < 2.1


# 7. Reports as of a month agree with the invoice ----------------------------------------------


def test_reports_for_a_month_agree_with_its_invoice() -> None:
    """Seed: "De gegevens die worden weergegeven op de Factureringspagina zullen zichtbaar zijn
    in het rapportageoverzicht en de maandelijkse factuur." (what the billing page shows is in
    the report overview and the monthly invoice)."""
    history = [lb.Revision(D(2024, 6, 9), attrs.evolve(ANN, modules={M.ENGAGE}))]
    invoice = lb.monthly_invoice(NEW, users=[ANN], history=history, month=JUNE, prices=PRICES)
    overview = reports.billing_overview(NEW, users=[ANN], month=JUNE, history=history)
    assert [(r.module.value, r.regular) for r in overview if r.regular] == [("Engage", 1)]
    assert [(x.product.value, int(x.quantity)) for x in invoice.lines] == [("Engage", 1)]
    entry = reports.WorkspaceUsers(workspace=NEW, users=[ANN], history=history)
    row = reports.licensing_report([entry], version="4.0", month=JUNE).to_records()[0]
    assert (row["HybridRegular"], row["EngageRegular"]) == ("0", "1")
    out = io.StringIO(newline="")
    reports.write_users_csv([ANN], out, month=JUNE, history=history)
    assert next(csv.DictReader(io.StringIO(out.getvalue())))["Modules"] == "Engage"
    # Without a month, the users as given.
    assert reports.billing_overview(NEW, users=[ANN])[0].regular == 1


# 8. The invoice as a document -------------------------------------------------------------------


def test_invoice_views_show_the_billing_details() -> None:
    """Seed: "Workspace-beheerders kunnen de Bedrijfsnaam, Referentienummer, Klanttype en
    Industrie invullen om weer te geven op de factuur." (admins fill in company name, reference
    number, customer type and industry to show on the invoice)."""
    invoice = lb.monthly_invoice(NEW, users=[ANN], month=JUNE, prices=PRICES)
    text, page = invoice.to_table(), invoice.to_html()
    for label, value in [
        ("Company name", "Contoso"),
        ("Reference number", "R-17"),
        ("Customer type", "MSP"),
        ("Industry", "Retail"),
    ]:
        assert f"{label}:" in text
        assert value in text
        assert f"<td>{label}</td><td>{value}</td>" in page
    assert "Hybrid   regular" in text


# 9. Every user must have a module --------------------------------------------------------------


def test_active_users_without_a_module_are_listed() -> None:
    """Seed: "Elke gebruiker moet een module hebben om zijn digitale werkplek te kunnen
    gebruiken." (every user must have a module to use their digital workplace)."""
    sales = lb.Group(id="sales", name="Sales", modules={M.HYBRID})
    users = [
        ANN,
        NOBODY,
        lb.User(id="grp", username="grp", groups={"sales"}),
        lb.User(id="off", username="off", status=S.INACTIVE),
    ]
    listed = reports.users_without_modules(users=users, groups=[sales])
    assert [u.id for u in listed] == ["nil"]
    history = [lb.Revision(D(2024, 6, 5), attrs.evolve(ANN, modules=set()))]
    later = reports.users_without_modules(users=users, groups=[sales], month=JUNE, history=history)
    assert [u.id for u in later] == ["ann", "nil"]


# Properties over the shipped strategies ---------------------------------------------------------


@settings(max_examples=60)
@given(drawn=workspace_months())
def test_an_invoice_never_bills_days_before_creation(drawn: WorkspaceMonth) -> None:
    """Seed: "Aan het einde van elke maand wordt een factuur ... gestuurd." (an invoice each
    month): a month before creation is refused; no seat is held longer than the workspace."""
    before = lb.Month.of(drawn.workspace.created_on.replace(day=1) - dt.timedelta(days=1))
    with pytest.raises(lb.InvalidValueError, match="before it existed"):
        lb.monthly_invoice(
            drawn.workspace, users=drawn.users, groups=drawn.groups, month=before,
            prices=EVERY_PRICE, trial=drawn.trial,
        )  # fmt: skip
    lived = (drawn.month.last - max(drawn.month.first, drawn.workspace.created_on)).days + 1
    seats = lb.count_seats(
        drawn.workspace, users=drawn.users, groups=drawn.groups, month=drawn.month,
        history=drawn.history,
    )  # fmt: skip
    for seat in seats.values():
        assert max(seat.held_days) <= lived
        assert seat.seat_days <= seat.any_day * lived


@settings(max_examples=60)
@given(drawn=dated_directory_histories())
def test_replayed_history_counts_as_the_daily_snapshots(drawn: DatedDirectoryHistory) -> None:
    """Seed: "De maandelijkse factuur is gebaseerd op de gebruikersstatus 'Actief'" (the invoice
    is based on the 'Active' status): counting a replayed history equals counting the
    directory's snapshot on each day of the month."""
    ws, month = drawn.directory.workspace, drawn.month
    cut = d.replay_history(drawn.directory, drawn.events).month(month)
    swept = lb.count_seats(ws, users=cut.users, history=cut.history, month=month)
    daily = []
    day = max(month.first, ws.created_on)
    while day <= month.last:
        snapshot = d.replay(drawn.directory, [e for e in drawn.events if e.on and e.on <= day])
        counts = lb.count_seats(ws, users=snapshot.all_users(), month=month)
        daily.append({key: seat.month_end for key, seat in counts.items()})
        day += dt.timedelta(days=1)
    for key in {key for counts in daily for key in counts} | set(swept):
        per_day = [counts.get(key, 0) for counts in daily]
        assert swept[key].month_end == per_day[-1]
        assert swept[key].peak == max(per_day)
        assert swept[key].seat_days == sum(per_day)


@settings(max_examples=60)
@given(drawn=workspace_months())
def test_a_user_nobody_assigned_a_module_never_changes_an_invoice(drawn: WorkspaceMonth) -> None:
    """Seed: "... gebaseerd op actieve reguliere- en/of gastgebruikers waaraan één of meer
    modules zijn toegewezen." (based on active users with one or more modules assigned)."""
    ws = attrs.evolve(drawn.workspace, legacy_seats=lb.LegacySeats.NEEDS_MODULE)
    bare = lb.User(id="zz", username="zz", guest=True, admin=True)
    extra = [lb.Revision(r.on, attrs.evolve(bare, status=S.INACTIVE)) for r in drawn.history[:1]]
    for counting in lb.Counting:
        args = {
            "groups": drawn.groups, "month": drawn.month, "prices": EVERY_PRICE,
            "counting": counting, "rounding": lb.Rounding.PER_UNIT_HALF_UP, "trial": drawn.trial,
        }  # fmt: skip
        base = lb.monthly_invoice(ws, users=drawn.users, history=drawn.history, **args)  # type: ignore[arg-type]
        more = lb.monthly_invoice(
            ws,
            users=(*drawn.users, bare),
            history=drawn.history + tuple(extra),
            **args,  # type: ignore[arg-type]
        )
        assert more == base


# Bad input gets a licbill error naming it --------------------------------------------------------

_U = [ANN]


def _scim(**kwargs: object) -> d.Directory:
    return d.Directory(workspace=NEW, provisioning=d.Provisioning.SCIM, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: attrs.evolve(NEW, legacy_seats="needs-module"), lb.InvalidTypeError),
        (lambda: lb.ModuleTrial(ends_on="2024-06-30"), lb.InvalidTypeError),
        (lambda: lb.monthly_invoice(OLD, users=_U, month=JUNE, prices=PRICES, trial=1), TypeError),
        (lambda: lb.count_seats(NEW, users=_U, month=JUNE, since=D(2024, 7, 1)), ValueError),
        (lambda: lb.count_seats(NEW, users=_U, month=JUNE, since="2024-06-02"), TypeError),
        (lambda: lb.count_seats("ws", users=_U, month=JUNE), lb.InvalidTypeError),
        (lambda: lb.cut_history(users=_U, history=[], month="2024-06"), lb.InvalidTypeError),
        (lambda: lb.cut_history(users=_U, history="r", month=JUNE), lb.InvalidTypeError),
        (lambda: lb.cut_history(users=_U, history=[ANN], month=JUNE), lb.InvalidTypeError),
        (lambda: lb.month_end_state(users=_U, month="2024-06"), lb.InvalidTypeError),
        (lambda: lb.month_end_state(users=_U, history=5, month=JUNE), lb.InvalidTypeError),
        (lambda: reports.WorkspaceUsers(workspace=NEW, users=_U, history=5), lb.InvalidTypeError),
        (lambda: reports.WorkspaceUsers(workspace="ws", users=_U), lb.InvalidTypeError),
        (lambda: reports.WorkspaceUsers(workspace=NEW, users=_U, history=[ANN]), TypeError),
        (lambda: _scim(users={"x": ANN}), lb.InvalidValueError),
        (lambda: _scim(directory_status=[]), lb.InvalidTypeError),
        (lambda: _scim(directory_status={"u": 1}), lb.InvalidTypeError),
        (lambda: d.SyncUser(user_id="u", username="u", on="2024-06-01"), lb.InvalidTypeError),
    ],
)  # fmt: skip
def test_bad_input_is_refused(build: object, error: type[Exception]) -> None:
    """Malformed workspaces, trials, months, histories and directory state get a licbill error."""
    with pytest.raises(lb.LicbillError) as caught:
        build()  # type: ignore[operator]
    assert isinstance(caught.value, error)


def test_scim_and_sync_tool_remember_the_directory_status() -> None:
    """Seed: "Wanneer je de status van een gebruiker wijzigt van actief naar inactief in
    Microsoft Entra ID, worden deze gebruikers verplaatst naar de lijst met verwijderde
    gebruikers" (deactivated users move to the deleted list): the directory status is kept."""
    scim = d.replay(
        d.Directory(workspace=NEW, provisioning=d.Provisioning.SCIM),
        [
            d.SyncUser(user_id="u", username="ann"),
            d.SyncUser(user_id="u", username="ann", active=False),
            d.SyncUser(user_id="u", username="ann", active=False),
            d.ChangeDirectoryStatus("u", False),
            d.LeaveScope("u"),
        ],
    )
    assert list(scim.deleted) == ["u"]
    assert scim.directory_status == {"u": False}
    gone = d.replay_history(
        d.Directory(workspace=NEW, provisioning=d.Provisioning.SCIM),
        [
            d.SyncUser(user_id="u", username="ann", on=D(2024, 6, 1)),
            d.HardDelete("u", on=D(2024, 6, 2)),
        ],
    )
    assert [r.value.status for r in gone.revisions] == [S.ACTIVE, S.DELETED]
    assert gone.end.users == {}
    assert gone.end.directory_status == {}


def test_the_command_line_and_scenario_files_take_the_trial(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Seed: "... een gratis proefperiode ..." (a free trial period): a scenario file's
    trial_ends_on, or --trial-ends for every legacy workspace, reaches the invoice."""
    from pathlib import Path

    from licbill.io.cli import main
    from licbill.io.scenarios import load_workspaces

    example = Path(__file__).parent.parent / "examples" / "workspaces.toml"
    assert load_workspaces(example).trials == {
        "ws-fabrikam": lb.ModuleTrial(ends_on=D(2024, 6, 30))
    }
    assert main(["invoice", str(example), "--month", "2024-07", "--trial-ends", "2024-07-15"]) == 0
    out = capsys.readouterr().out
    assert "Hybrid   regular    0.5161  6.00   3.10" in out
