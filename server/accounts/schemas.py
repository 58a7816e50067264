"""Request and response schemas of the accounts API."""
from __future__ import annotations

from marshmallow import fields, validate

from ..schemas import BaseSchema, page_schema
from .models import Role

DEVICE_ID = validate.Regexp(r"^[A-Za-z0-9._:-]{8,64}$", error="设备标识须为 8–64 位字母、数字或 ._:- 字符。")
USERNAME = validate.Regexp(r"^[A-Za-z0-9._-]{2,64}$", error="用户名须为 2–64 位字母、数字或 ._- 字符。")
ROLE_CHOICE = validate.OneOf([r.value for r in Role])


class LoginSchema(BaseSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    device_id = fields.String(required=True, validate=DEVICE_ID)
    device_name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class RefreshSchema(BaseSchema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=10, max=200))
    device_id = fields.String(required=True, validate=DEVICE_ID)


class TokenSchema(BaseSchema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer(metadata={"description": "访问令牌有效秒数"})
    refresh_token = fields.String()
    refresh_expires_at = fields.DateTime()
    user_id = fields.Integer()
    device_id = fields.Integer()
    password_change_required = fields.Boolean(metadata={
        "description": "须先修改密码（管理员创建或重置的账号）：在此之前其他接口均答 403 password_change_required"})


class DepartmentSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_-]{2,32}$", error="部门代码须为 2–32 位小写字母、数字或 _-。"))
    name = fields.String(required=True, validate=validate.Length(min=2, max=100))
    level = fields.String(required=True, validate=validate.OneOf(["city", "county"]))
    region_code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$", error="行政区划代码须为 6 位数字。"))
    industry_tags = fields.List(fields.String(validate=validate.Length(min=1, max=32)), load_default=list,
                                validate=validate.Length(max=50))
    parent_id = fields.Integer(allow_none=True, load_default=None)
    is_office = fields.Boolean(load_default=False)


class DepartmentUpdateSchema(BaseSchema):
    name = fields.String(validate=validate.Length(min=2, max=100))
    level = fields.String(validate=validate.OneOf(["city", "county"]))
    region_code = fields.String(validate=validate.Regexp(r"^\d{6}$", error="行政区划代码须为 6 位数字。"))
    industry_tags = fields.List(fields.String(validate=validate.Length(min=1, max=32)), validate=validate.Length(max=50))
    parent_id = fields.Integer(allow_none=True)


class DepartmentBriefSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    is_office = fields.Boolean()


class UserSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    username = fields.String(required=True, validate=USERNAME)
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    phone = fields.String(allow_none=True, load_default=None, validate=validate.Regexp(r"^[0-9+\- ]{5,32}$", error="电话号码格式不正确。"))
    department_id = fields.Integer(required=True)
    department = fields.Nested(DepartmentBriefSchema, dump_only=True)
    active = fields.Boolean(load_default=True)
    roles = fields.List(fields.String(validate=ROLE_CHOICE), load_default=list, validate=validate.Length(max=6))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=256))
    must_change_password = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class UserUpdateSchema(BaseSchema):
    display_name = fields.String(validate=validate.Length(min=1, max=64))
    phone = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9+\- ]{5,32}$", error="电话号码格式不正确。"))
    active = fields.Boolean()


class RolesSchema(BaseSchema):
    roles = fields.List(fields.String(validate=ROLE_CHOICE), required=True, validate=validate.Length(max=6))


class PasswordSchema(BaseSchema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=256))


class OwnPasswordSchema(BaseSchema):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=256))


class DeviceSchema(BaseSchema):
    id = fields.Integer()
    user_id = fields.Integer()
    device_id = fields.String(attribute="device_uid")
    name = fields.String()
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    revoke_reason = fields.String(allow_none=True)


class DeviceListArgs(BaseSchema):
    user_id = fields.Integer(load_default=None)
    include_revoked = fields.Boolean(load_default=True)


class RevokeSchema(BaseSchema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=200))


class UserOutSchema(UserSchema):
    class Meta:
        exclude = ("password",)


class MeSchema(BaseSchema):
    user = fields.Nested(UserOutSchema)
    department = fields.Nested(DepartmentSchema)
    roles = fields.List(fields.String())
    device = fields.Nested(DeviceSchema)


UserPageSchema = page_schema(UserSchema, "UserPageSchema")
