"""Workspace reports (docs/reports.md) and the provisioning key."""

from __future__ import annotations

import csv
import datetime as dt
import io
import pickle

import pytest

import licbill as lb
from licbill.io import reports

M, K, S = lb.Module, lb.UserKind, lb.UserStatus
NEW = lb.Workspace(
    id="w-new",
    created_on=dt.date(2024, 3, 1),
    billing=lb.BillingInfo(
        company_name="=Contoso", reference="R-1", customer_type="MSP", industry="Retail"
    ),
)
OLD = lb.Workspace(id="w-old", created_on=dt.date(2021, 3, 1), edition=lb.LegacyEdition.BOOST)
SALES = lb.Group(id="sales", name="Sales", modules={M.HYBRID})
USERS = (
    lb.User(id="1", username="ann", first_name="Ann", last_name="Ash", email="ann@x.test",
            modules={M.ENGAGE}, admin=True),
    lb.User(id="2", username="bob", first_name="@Bob", groups={"sales"}),
    lb.User(id="3", username="cat", guest=True, modules={M.ENGAGE, M.UNIFY}),
    lb.User(id="4", username="dan", status=S.INACTIVE, modules={M.UNIFY}),
    lb.User(id="5", username="eve", status=S.DELETED, modules={M.UNIFY}),
)  # fmt: skip


def test_billing_overview_counts_modules_per_user_kind() -> None:
    """The billing page shows each module's active regular and guest holders."""
    rows = reports.billing_overview(NEW, users=USERS, groups=[SALES])
    assert [(r.module.value, r.regular, r.guest) for r in rows] == [
        ("Hybrid", 1, 0),
        ("Engage", 1, 1),
        ("Unify", 0, 1),
    ]


def test_users_csv_has_the_rulebook_columns() -> None:
    """The users export has exactly docs/reports.md's columns, neutralised, deleted left out."""
    out = io.StringIO(newline="")
    assert reports.write_users_csv(USERS, out, groups=[SALES]) == 4
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert rows[0] == [
        "First name",
        "Last name",
        "Email",
        "Username",
        "Status",
        "Modules",
        "Guest",
        "Admin",
    ]
    assert rows[1] == ["Ann", "Ash", "ann@x.test", "ann", "active", "Engage", "false", "true"]
    assert rows[2][0] == "'@Bob"
    assert rows[2][5] == "Hybrid"
    assert rows[3][5:7] == ["Engage, Unify", "true"]
    assert rows[4][4] == "inactive"


def test_licensing_report_versions() -> None:
    """Version 3.5 covers editions and modules; 4.0 modules only; rows carry billing info."""
    entries = [
        reports.WorkspaceUsers(workspace=NEW, users=USERS, groups=[SALES]),
        reports.WorkspaceUsers(workspace=OLD, users=USERS, groups=[SALES]),
    ]
    v35 = reports.licensing_report(entries, version="3.5")
    v40 = reports.licensing_report(entries, version="4.0")
    assert "BoostRegular" in v35.columns
    assert "BoostRegular" not in v40.columns
    assert "HybridRegular" in v40.columns
    first = dict(zip(v35.columns, v35.rows[0], strict=True))
    assert (first["CompanyName"], first["Industry"], first["LicenceModel"]) == (
        "'=Contoso",
        "Retail",
        "modules",
    )
    second = dict(zip(v35.columns, v35.rows[1], strict=True))
    assert (second["Edition"], second["BoostRegular"], second["BoostGuest"]) == ("Boost", "2", "1")
    out = io.StringIO(newline="")
    assert v40.write_csv(out) == 2
    with pytest.raises(lb.InvalidValueError):
        reports.licensing_report(entries, version="3.0")
    with pytest.raises(lb.InvalidTypeError):
        reports.licensing_report([NEW], version="4.0")  # type: ignore[list-item]


def test_partner_report_opens_in_a_spreadsheet() -> None:
    """The partner report is CSV with a byte-order mark, a row per workspace with its total."""
    prices = lb.PriceList(
        {(p, k): lb.Money("2.50", "EUR") for p in [*M, *lb.LegacyEdition] for k in K}
    )
    entries = [
        reports.WorkspaceUsers(workspace=NEW, users=USERS, groups=[SALES]),
        reports.WorkspaceUsers(workspace=OLD, users=USERS, groups=[SALES]),
    ]
    out = io.StringIO(newline="")
    trial = lb.ModuleTrial(ends_on=dt.date(2024, 12, 31))
    written = reports.write_partner_report(
        entries, out, month=lb.Month(2024, 5), prices=prices, trial=trial
    )
    assert written == 2
    text = out.getvalue()
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:], newline="")))
    assert (rows[0]["Month"], rows[0]["Total"], rows[0]["Currency"]) == ("2024-05", "10.00", "EUR")
    # Legacy: 3 Boost seats at 2.50; the trial modules are free.
    assert (rows[1]["LicenceModel"], rows[1]["Total"], rows[1]["HybridRegular"]) == (
        "legacy",
        "7.50",
        "1",
    )
    per_workspace = {"w-new": prices}
    with pytest.raises(lb.InvalidValueError, match="w-old"):
        reports.write_partner_report(
            entries, io.StringIO(), month=lb.Month(2024, 5), prices=per_workspace, trial=trial
        )


def test_provisioning_key_never_shows() -> None:
    """A provisioning key's repr, str, format and pickling never show the secret."""
    key = lb.ProvisioningKey("s3cr3t-key")
    assert "s3cr3t" not in repr(key) + str(key) + f"{key}" + f"{key!r}" + str([key])
    assert key.reveal() == "s3cr3t-key"
    assert key == lb.ProvisioningKey("s3cr3t-key")
    assert key != lb.ProvisioningKey("other")
    assert len({key, lb.ProvisioningKey("s3cr3t-key")}) == 1
    with pytest.raises(TypeError):
        pickle.dumps(key)
    with pytest.raises(AttributeError):
        key._secret = "x"  # type: ignore[misc]
    with pytest.raises(lb.InvalidValueError):
        lb.ProvisioningKey("  ")
    with pytest.raises(lb.InvalidTypeError):
        lb.ProvisioningKey(123)  # type: ignore[arg-type]
