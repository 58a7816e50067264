"""Back office: review of sealed records and result entry, publication (the write side), the
record PDF, archive retention and statistics.

- `entries`: which departments enter a record (those whose items it covers) and the codes each may enter;
- `service`: the queue, approve (= result entered), return, request evidence, per department's entry;
  `detail`: the desk's view;
- `publication`: each department's row, the joint summary, withhold with the department leader's
  decision, revise after a later decision;
- `record`, `pdf*`, `labels`, `amendment_text`: the record PDF (随机抽查情况记录表);
- `archive`, `archive_ddl`: retention (Art. 25); `statistics`, `stats_api`: the dashboard's figures;
- `api` (`/api/v1/reviews`), `pages` (the desk at `/review`).
"""
