"""Field sync protocol core (see docs/design/sync-protocol.md).

Push applies each client's mutations exactly once, in order, in the same
transaction as its counter; pull serves a per-recipient change feed whose
cursor a reader can never overtake. Features register mutators and entity
loaders through `sync.registry`; nothing here imports a domain feature.
"""
