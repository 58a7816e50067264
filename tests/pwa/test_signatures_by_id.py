"""The app counts a pulled inspector signature by the inspector's id, not by the signer's name."""
from __future__ import annotations

import pytest

from tests.pwa.helpers import login

pytestmark = pytest.mark.browser


def test_pulled_inspector_signatures_still_count_after_a_name_correction(app, fu, live, page, dbs, shot, errors):
    from server.inspectors.models import Inspector
    from tests.conftest import DEMO_PASSWORD
    from tests.support.field import complete_inspection
    from tests.support.http import Session

    base, _ = live
    visit_id = fu["visits"][0]
    client = app.test_client()
    # Teammates' phones signed everything; the record is not sealed yet.
    ctx = complete_inspection(client, Session.login(client, "office", DEMO_PASSWORD, "office-device-01").headers, visit_id,
                              scout=fu["username"], seal=False)
    # Then the directory corrects both signers' names: their signatures keep the names they were given.
    with dbs() as s:
        for m in ctx["visit"]["team"][:2]:
            s.get(Inspector, m["inspector_id"]).name = m["name"] + "（更正）"
        s.commit()

    login(page, base, fu["username"])
    page.goto(f"{base}/#/visit/{visit_id}/sign")
    page.get_by_role("button", name="确认无误，封存记录").wait_for(timeout=20000)
    assert page.locator("text=须由至少 2 名在场执法人员签名").count() == 0
    shot(page, "25-signed-by-id")
    assert not errors, errors
