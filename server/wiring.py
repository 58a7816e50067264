"""Connects features through the seams of the layers below them (done once, at app creation).

Lower layers never import higher ones: sync learns the field mutators and
entities, media learns who may see which evidence, draws learn where their
visits go, the directory learns whose open visits to flag when a feed closes an
object, visits learn what review and publication add, the delivery worker
learns its periodic jobs, and the audit verifier learns to check draws.
"""
from __future__ import annotations

from media.access import register_policy, register_send_policy
from media.service import on_arrived as on_media_arrived

# Modules imported for what they register when imported: the audit verifier's checks of draws,
# sealed records and the archive, and the visits' sync mutators.
from .accounts import throttle
from .delivery import jobs
from .draws import assignments as draw_assignments, verification as draw_verification  # noqa: F401
from .leads import reminders
from .public.results import previous_results_of
from .registry import closures as registry_closures
from .review import archive, replay as review_replay  # noqa: F401
from .review.service import comments_of, open_on_seal, reopen_on_amendment, states_of
from .visits import assignments, feed, handoff, hooks, methods, mutations, replay, sign, verification as visit_verification  # noqa: F401
from .visits.announce import on_media_arrived as announce_media_visits
from .visits.closed_objects import flag_open_visits
from .visits.media_policy import may_read_media, may_send_visit_media

_done = False


def connect() -> None:
    global _done
    if _done:
        return
    draw_assignments.register(assignments)
    registry_closures.on_closed(flag_open_visits)
    _register_jobs()
    feed.register()
    hooks.on_sealed(open_on_seal)
    hooks.on_amended(reopen_on_amendment)
    hooks.on_review_comments(comments_of)
    hooks.on_review_states(states_of)
    hooks.on_section_handovers(handoff.handovers_of)
    hooks.on_previous_results(previous_results_of)
    register_policy(may_read_media)
    on_media_arrived(announce_media_visits)
    register_send_policy("visit", may_send_visit_media)
    _done = True


def _register_jobs() -> None:
    """Periodic jobs the delivery worker runs between its rounds (it imports no feature)."""
    jobs.register(jobs.PeriodicJob("throttle_prune", "THROTTLE_PRUNE_INTERVAL",
                                   lambda now, stop: throttle.prune(now, should_stop=stop), "throttle_pruned",
                                   "throttle rows deleted: %s"))
    jobs.register(jobs.PeriodicJob("lead_reminders", "LEAD_REMINDER_INTERVAL", reminders.periodic_pass, "reminders",
                                   "lead reminders sent: %s"))
