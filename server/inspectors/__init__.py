"""Inspector directory (执法检查人员名录库, Art. 10 and 17).

"General + specialist" inspectors tagged by enforcement qualification, expertise and post;
external experts without accounts; leave and other unavailable periods; conflict-of-interest
declarations; same-industry borrowing between departments. `service.eligibility_pool` is what
the draw freezes for `dsr-team-v2` matching (experts marked: they assist, never lead).
"""
