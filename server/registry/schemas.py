"""Request and response schemas of the object directory API.

Input schemas check types and generous lengths only; the domain rules (credit
code checksum, ID number, region, status, sub-library names…) live in
`normalize`, shared with the import, and answer with specific Chinese
reasons and stable codes.
"""
from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from ..schemas import BaseSchema, PageArgsSchema, page_schema
from .models import IMPORT_STATUSES, OBJECT_TYPES, REGISTRATION_STATUSES

CODE = validate.Regexp(r"^[a-z][a-z0-9_]{1,63}$", error="分库代码须为 2–64 位小写字母、数字或下划线，以字母开头。")


def _s(maximum: int, **kw) -> fields.String:
    return fields.String(validate=validate.Length(max=maximum), **kw)


class SubLibrarySchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=CODE, metadata={"description": "分库代码（创建后不可修改，计划按代码引用）"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    department_id = fields.Integer(load_default=None, metadata={"description": "所属部门；不填为本部门（仅办公室可指定其他部门）"})
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    created_at = fields.DateTime(dump_only=True)
    member_count = fields.Integer(dump_only=True)


class SubLibraryUpdateSchema(BaseSchema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    description = fields.String(allow_none=True, validate=validate.Length(max=500))


class MembersSchema(BaseSchema):
    object_ids = fields.List(fields.Integer(validate=validate.Range(min=1)), required=True,
                             validate=validate.Length(min=1, max=1000))


class MembersResultSchema(BaseSchema):
    added = fields.List(fields.Integer())
    already = fields.List(fields.Integer())


_INPUT_DOC = {
    "object_type": "对象类型：" + "、".join(f"{k}（{v}）" for k, v in OBJECT_TYPES.items()) + "；也可填中文名称",
    "registration_status": "登记状态：" + "、".join(f"{k}（{v}）" for k, v in REGISTRATION_STATUSES.items()),
    "risk_class": "信用风险分类 A–D；“未分类”表示清除",
}


class ObjectInputSchema(BaseSchema):
    """One object to create or merge (by credit code). Absent or null fields keep existing values."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=400))
    credit_code = _s(40, allow_none=True)
    credit_code_override_reason = _s(500, allow_none=True, metadata={
        "description": "仅管理员：信用代码只有校验位不符时，说明例外接受的理由（记入审计日志）"})
    object_type = _s(32, allow_none=True, metadata={"description": _INPUT_DOC["object_type"]})
    legal_rep_name = _s(200, allow_none=True)
    legal_rep_id_number = _s(40, allow_none=True, load_only=True,
                             metadata={"description": "法定代表人身份证号：加密保存，任何接口都只返回遮盖后的号码"})
    phone = _s(64, allow_none=True)
    registered_address = _s(600, allow_none=True)
    business_address = _s(600, allow_none=True)
    region_code = _s(32, allow_none=True, metadata={"description": "6 位行政区划代码或县区名称"})
    industry = _s(200, allow_none=True)
    registration_status = _s(32, allow_none=True, metadata={"description": _INPUT_DOC["registration_status"]})
    online = fields.Boolean(allow_none=True)
    shop_url = _s(1000, allow_none=True)
    sub_libraries = fields.List(fields.String(validate=validate.Length(min=1, max=100)), allow_none=True,
                                validate=validate.Length(max=50), metadata={"description": "分库代码或名称"})
    risk_class = _s(16, allow_none=True, metadata={"description": _INPUT_DOC["risk_class"]})
    abnormal_list = fields.Boolean(allow_none=True)
    serious_violation_list = fields.Boolean(allow_none=True)
    complaint_count = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=1_000_000))


def _p(maximum: int, nullable: bool = True, **kw) -> fields.String:
    return fields.String(allow_none=nullable, validate=validate.Length(min=1, max=maximum), **kw)


class ObjectPatchSchema(BaseSchema):
    """Fields to change; null clears an optional field. `version` (optional) guards against lost updates."""

    version = fields.Integer(validate=validate.Range(min=1))
    name = _p(400, nullable=False)
    credit_code = _p(40)
    credit_code_override_reason = _p(500)
    object_type = _p(32, nullable=False)
    legal_rep_name = _p(200)
    legal_rep_id_number = _p(40, load_only=True)
    phone = _p(64)
    registered_address = _p(600)
    business_address = _p(600)
    region_code = _p(32)
    industry = _p(200)
    registration_status = _p(32, nullable=False)
    online = fields.Boolean()
    shop_url = _p(1000)
    sub_libraries = fields.List(fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=50),
                                metadata={"description": "本部门（办公室：全部）分库的完整列表；其他部门的分库不受影响"})
    risk_class = _p(16)
    abnormal_list = fields.Boolean()
    serious_violation_list = fields.Boolean()
    complaint_count = fields.Integer(validate=validate.Range(min=0, max=1_000_000))


class SubLibraryRefSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    department_id = fields.Integer()


class CreditSchema(BaseSchema):
    risk_class = fields.String(allow_none=True)
    risk_class_label = fields.String()
    abnormal_list = fields.Boolean()
    serious_violation_list = fields.Boolean()
    complaint_count = fields.Integer()
    updated_at = fields.DateTime(allow_none=True)


class LastCheckSchema(BaseSchema):
    department_id = fields.Integer()
    last_checked_on = fields.Date()


class CheckHistorySchema(BaseSchema):
    department = fields.String(metadata={"description": "检查部门代码"})
    item_code = fields.String(metadata={"description": "抽查事项编号"})
    last_checked_on = fields.Date(metadata={"description": "该部门最近一次检查该事项的日期（现场检查结束之日）"})
    result_codes = fields.List(fields.String(), metadata={"description": "该部门录入的检查结果代码"})
    visit_id = fields.String()


class ObjectSchema(BaseSchema):
    """An object. `credit`, `last_checks` and `checks` are present only for staff (never for inspectors)."""

    id = fields.Integer()
    object_type = fields.String()
    object_type_label = fields.String()
    name = fields.String()
    credit_code = fields.String(allow_none=True)
    credit_code_override = fields.String(allow_none=True, metadata={"description": "管理员例外接受校验位不符代码的理由"})
    legal_rep_name = fields.String(allow_none=True)
    legal_rep_id_masked = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    registered_address = fields.String(allow_none=True)
    business_address = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)
    region_name = fields.String(allow_none=True)
    industry = fields.String(allow_none=True)
    registration_status = fields.String()
    registration_status_label = fields.String()
    online = fields.Boolean()
    shop_url = fields.String(allow_none=True)
    sub_libraries = fields.List(fields.Nested(SubLibraryRefSchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()
    credit = fields.Nested(CreditSchema)
    last_checks = fields.List(fields.Nested(LastCheckSchema))
    checks = fields.List(fields.Nested(CheckHistorySchema), metadata={
        "description": "检查历史：各部门各事项最近一次检查的日期与结果代码"})
    outcome = fields.String(metadata={"description": "新增/合并接口：created、updated 或 unchanged"})


ObjectPageSchema = page_schema(ObjectSchema, "ObjectPageSchema")


class ObjectSearchArgs(PageArgsSchema):
    q = fields.String(load_default=None, validate=validate.Length(max=100),
                      metadata={"description": "名称包含，或统一社会信用代码以此开头"})
    credit_code = fields.String(load_default=None, validate=validate.Length(max=40))
    region = fields.String(load_default=None, validate=validate.Regexp(r"^\d{6}$", error="行政区划代码须为 6 位数字。"))
    sub_library = fields.String(load_default=None, validate=validate.Length(max=64))
    risk_class = fields.String(load_default=None, validate=validate.OneOf(["A", "B", "C", "D", "U"]),
                               metadata={"description": "A–D，U 为未分类（执法检查人员不可使用）"})
    object_type = fields.String(load_default=None, validate=validate.OneOf(list(OBJECT_TYPES)))
    status = fields.String(load_default=None, validate=validate.OneOf(list(REGISTRATION_STATUSES)))
    online = fields.Boolean(load_default=None)


class ItemErrorSchema(BaseSchema):
    field = fields.String()
    pointer = fields.String()
    message = fields.String()
    code = fields.String()


class BulkSchema(BaseSchema):
    objects = fields.List(fields.Nested(ObjectInputSchema), required=True, validate=validate.Length(min=1, max=1000))


class BulkItemSchema(BaseSchema):
    index = fields.Integer()
    status = fields.String(metadata={"description": "created、updated、unchanged 或 rejected"})
    id = fields.Integer(allow_none=True)
    credit_code = fields.String(allow_none=True)
    errors = fields.List(fields.Nested(ItemErrorSchema))


class BulkResultSchema(BaseSchema):
    results = fields.List(fields.Nested(BulkItemSchema))
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    rejected = fields.Integer()


class FileField(Upload):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ValidationError("请以 multipart/form-data 上传文件。")
        return value


class ImportArgs(BaseSchema):
    file = FileField(required=True, metadata={"description": "CSV（UTF-8 或 GB18030）或 XLSX 文件"})
    mode = fields.String(load_default="dry_run", validate=validate.OneOf(["dry_run", "commit"]),
                         metadata={"description": "dry_run：只校验；commit：导入通过校验的行"})


class ImportJobSchema(BaseSchema):
    id = fields.String()
    filename = fields.String()
    file_sha256 = fields.String()
    file_size = fields.Integer()
    format = fields.String()
    mode = fields.String()
    status = fields.String(metadata={"description": "、".join(IMPORT_STATUSES)})
    stalled = fields.Boolean(metadata={"description": "处理中但长时间没有进展（进程可能已中断，可重新导入）"})
    progress = fields.Float(allow_none=True)
    ignored_columns = fields.List(fields.String())
    rows_total = fields.Integer(allow_none=True)
    rows_processed = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    rejected = fields.Integer()
    error = fields.String(allow_none=True)
    created_by = fields.Integer(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


ImportJobPageSchema = page_schema(ImportJobSchema, "ImportJobPageSchema")


class ImportErrorSchema(BaseSchema):
    id = fields.Integer()
    row_number = fields.Integer()
    column = fields.String(allow_none=True)
    value = fields.String(allow_none=True)
    code = fields.String()
    message = fields.String()


ImportErrorPageSchema = page_schema(ImportErrorSchema, "ImportErrorPageSchema")
