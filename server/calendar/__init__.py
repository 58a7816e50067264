"""Working days and result-entry deadlines (Art. 20(3): results within 20 working days).

- `workdays`: the pure arithmetic (chinesecalendar + overrides + declared-complete years);
- `models`: the administrator's override table and declared years;
- `service`: the deployment's calendar, deadlines and their state, overrides, the coverage status;
- `api` (`/api/v1/calendar`), `schemas`.
"""
