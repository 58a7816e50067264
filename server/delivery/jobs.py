"""Periodic jobs that features hand to the delivery worker.

The worker sits below the features (it imports none of them): a feature that needs
something done now and then — lead reminders, pruning throttle rows — registers a
job here at app start (`server/wiring.py`), and every worker runs each due job
between its delivery rounds: at start, then at most once per the job's interval.
Jobs must be safe to run concurrently in several workers (each de-duplicates on its
own rows) and should commit in small batches, checking `should_stop` between them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class PeriodicJob:
    """`run(now, should_stop)` does one pass and returns how many things it did (for the stats
    and the log); `interval_setting` names the config key of its interval (None or zero:
    never); `stat` is its counter in the worker's stats; `log_message` a %-format taking
    the count, logged when it is not zero."""

    name: str
    interval_setting: str
    run: Callable[[dt.datetime, Callable[[], bool]], int]
    stat: str
    log_message: str = "%s done"


_jobs: dict[str, PeriodicJob] = {}


def register(job: PeriodicJob) -> None:
    """Register (or replace, by name) a periodic job."""
    _jobs[job.name] = job


def registered() -> list[PeriodicJob]:
    """The registered jobs, in registration order."""
    return list(_jobs.values())
