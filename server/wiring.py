"""Connects features through the seams of the layers below them (done once, at app creation).

Lower layers never import higher ones: sync learns the field mutators and
entities, media learns who may see which evidence, draws learn where their
visits go, visits learn what review and publication add, the delivery worker
learns its periodic jobs, and the audit verifier learns to check draws.
"""
from __future__ import annotations

_done = False


def connect() -> None:
    global _done
    if _done:
        return
    from media.access import register_policy
    from .draws import assignments as draw_assignments
    from .visits import assignments
    from .draws import verification  # noqa: F401  (registers the draw check with audit verify)
    from .visits import verification as visit_verification  # noqa: F401  (sealed records, too)
    from .review import archive  # noqa: F401  (and that no sealed record vanished unlogged)
    from .public.results import previous_results
    from .review.service import comments_for, open_on_seal, reopen_on_amendment
    from .visits import feed, hooks, mutations, sign  # noqa: F401  (mutators register on import)
    from .visits.media_policy import may_read_media

    draw_assignments.register(assignments)
    _register_jobs()
    feed.register()
    hooks.on_sealed(open_on_seal)
    hooks.on_amended(reopen_on_amendment)
    hooks.on_review_comments(comments_for)
    hooks.on_previous_results(previous_results)
    register_policy(may_read_media)
    _done = True


def _register_jobs() -> None:
    """Periodic jobs the delivery worker runs between its rounds (it imports no feature)."""
    from .accounts import throttle
    from .delivery import jobs
    from .leads import reminders

    jobs.register(jobs.PeriodicJob("throttle_prune", "THROTTLE_PRUNE_INTERVAL",
                                   lambda now, stop: throttle.prune(now, should_stop=stop), "throttle_pruned",
                                   "throttle rows deleted: %s"))
    jobs.register(jobs.PeriodicJob("lead_reminders", "LEAD_REMINDER_INTERVAL", reminders.periodic_pass, "reminders",
                                   "lead reminders sent: %s"))
