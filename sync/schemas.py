"""Wire format of push and pull."""
from __future__ import annotations

from marshmallow import fields, validate

from server.schemas import BaseSchema

MAX_MUTATIONS = 100
PULL_LIMIT_MAX = 1000


class MutationInSchema(BaseSchema):
    id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**53))
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    client_time = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    args = fields.Dict(required=True)


class PushSchema(BaseSchema):
    client_id = fields.UUID(required=True)
    schema_version = fields.Integer(required=True, strict=True)
    mutations = fields.List(fields.Nested(MutationInSchema), required=True)


class MutationResultSchema(BaseSchema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "applied | rejected | duplicate"})
    original_status = fields.String(allow_none=True)
    conflict = fields.Dict(allow_none=True)
    problem = fields.Dict(allow_none=True)
    data = fields.Dict(allow_none=True)


class PushResultSchema(BaseSchema):
    last_mutation_id = fields.Integer()
    stopped_at_gap = fields.Boolean()
    problem = fields.Dict(allow_none=True, metadata={"description": "why the batch stopped early (code mutation_gap)"})
    results = fields.List(fields.Nested(MutationResultSchema))


class PullArgsSchema(BaseSchema):
    client_id = fields.UUID(required=True)
    cursor = fields.String(load_default=None, validate=validate.Length(max=40))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=PULL_LIMIT_MAX))


class ChangeSchema(BaseSchema):
    seq = fields.Integer()
    entity = fields.String()
    op = fields.String()
    id = fields.String()
    data = fields.Dict(allow_none=True)


class PullResultSchema(BaseSchema):
    cursor = fields.String()
    more = fields.Boolean()
    reset = fields.Boolean()
    last_mutation_id = fields.Integer()
    limits = fields.Dict()
    server_time = fields.String()
    changes = fields.List(fields.Nested(ChangeSchema))


class RejectionSchema(BaseSchema):
    client_id = fields.String()
    mutation_id = fields.Integer()
    name = fields.String()
    args = fields.Dict()
    client_time = fields.String(allow_none=True)
    problem = fields.Dict()
    processed_at = fields.DateTime()


class RejectionArgs(BaseSchema):
    client_id = fields.UUID(load_default=None)
