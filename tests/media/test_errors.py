"""MediaError / StorageError: stable codes, Chinese messages, suggested statuses."""
from __future__ import annotations

import re

import pytest

from media.errors import ERROR_CODES, MediaError, StorageError


@pytest.mark.parametrize("code", sorted(ERROR_CODES))
def test_every_code_has_status_and_chinese_message(code):
    err = StorageError(code) if code in {"checksum_mismatch", "invalid_key", "not_found", "storage_full"} \
        else MediaError(code)
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", err.code)
    assert err.status == ERROR_CODES[code][0]
    assert re.search(r"[\u4e00-\u9fff]", err.message)
    assert isinstance(err, MediaError)  # one family for the web layer to map


def test_expected_statuses():
    assert MediaError("unsupported_type").status == 415
    assert MediaError("image_too_large").status == 413
    assert MediaError("corrupt_image").status == 422
    assert StorageError("checksum_mismatch").status == 422


def test_custom_message_and_details():
    err = MediaError("image_too_large", "太大了", width=9000, height=9000)
    assert err.message == "太大了" and err.details == {"width": 9000, "height": 9000}
    assert "image_too_large" in str(err) and "image_too_large" in repr(err)
