"""Where features plug into sync: mutators (push) and entities (pull)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import marshmallow as ma


@dataclass
class MutationContext:
    """What a mutator knows about the call besides its args."""

    principal: Any
    client_id: str
    mutation_id: int
    client_time: str | None


@dataclass
class Outcome:
    """A mutator's answer: optional conflict details for the client and the leader."""

    conflict: dict | None = None
    data: dict = field(default_factory=dict)
    # A refusal whose own records (e.g. a logged content mismatch) are kept: the mutation is
    # answered `rejected` with this problem, but what the mutator wrote is committed.
    problem: dict | None = None


@dataclass
class Mutator:
    name: str
    schema: ma.Schema
    fn: Callable[[MutationContext, dict], Outcome | None]


@dataclass
class Entity:
    """How pull turns feed rows into data.

    `load(ids, principal)` returns {id: data} for the ids the caller may still
    see (missing ids become `del`); `snapshot(principal)` yields (id, data) for
    everything in the caller's view, for a reset.
    """

    name: str
    load: Callable[[list[str], Any], dict[str, dict]]
    snapshot: Callable[[Any], Iterable[tuple[str, dict]]]
    order: int = 100


MUTATORS: dict[str, Mutator] = {}
ENTITIES: dict[str, Entity] = {}
# Called before a mutator with (ctx, name, args, raw_args): an Outcome answers the mutation in
# its place (a feature that already has it by another way, e.g. a handed-over section).
GUARDS: list[Callable[[MutationContext, str, dict, dict], Outcome | None]] = []


def mutator(name: str, schema: ma.Schema):
    """Register `fn` as the mutator called `name`, its args validated by `schema`."""

    def deco(fn):
        MUTATORS[name] = Mutator(name, schema, fn)
        return fn

    return deco


def guard(fn):
    """Register `fn` as a guard run before every mutator (see GUARDS)."""
    GUARDS.append(fn)
    return fn


def entity(name: str, load, snapshot, order: int = 100) -> None:
    """Register a pullable entity type (`order` sorts entity types in a reset)."""
    ENTITIES[name] = Entity(name, load, snapshot, order)
