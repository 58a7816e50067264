"""Back office: review of sealed records and result entry, publication (the write side), the
record PDF, archive retention and statistics.

- `service`: the queue, approve (= result entered), return, request evidence; `detail`: the desk's view;
- `publication`: publish, withhold with a leader's decision, revise after a later decision;
- `record`, `pdf*`, `labels`, `amendment_text`: the record PDF (随机抽查情况记录表);
- `archive`, `archive_ddl`: retention (Art. 25); `statistics`, `stats_api`: the dashboard's figures;
- `api` (`/api/v1/reviews`), `pages` (the desk at `/review`).
"""
