"""The day a check ended on site: what every deadline of the check counts from."""
from __future__ import annotations

import datetime as dt

from server.visits.clock import check_ended_on_site

UTC = dt.timezone.utc


def test_the_phones_seal_day_counts_when_the_record_reached_the_server_later():
    # Sealed offline on site on 3 March (Beijing), synced on 5 March.
    synced = dt.datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    assert check_ended_on_site(synced, "2026-03-03T16:40:00+08:00") == dt.date(2026, 3, 3)


def test_without_a_phone_time_it_is_the_servers_seal_day_in_beijing():
    # 23:30 UTC on 2 March is 07:30 on 3 March in Beijing.
    assert check_ended_on_site(dt.datetime(2026, 3, 2, 23, 30, tzinfo=UTC)) == dt.date(2026, 3, 3)
    assert check_ended_on_site(dt.datetime(2026, 3, 2, 23, 30, tzinfo=UTC), "not a time") == dt.date(2026, 3, 3)


def test_never_after_the_servers_seal_and_never_before_the_team_arrived():
    sealed = dt.datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # 16:00 Beijing, 3 March
    # A phone running ahead (within the tolerance the seal allows) does not move the day forward.
    assert check_ended_on_site(sealed, "2026-03-04T00:03:00+08:00") == dt.date(2026, 3, 3)
    # A phone clock set days back cannot date the check before the arrival it recorded.
    assert check_ended_on_site(sealed, "2026-02-20T10:00:00+08:00",
                               {"arrival_at": "2026-03-03T09:10:00+08:00", "credentials_shown_at": None}) == \
        dt.date(2026, 3, 3)
