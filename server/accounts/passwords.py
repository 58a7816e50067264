"""The password policy (GB/T 22239-2019 level 3, identity authentication: complexity, issue 19).

At least 8 characters from at least three of the four classes (lower case, upper case, digits,
other), not the username nor containing it, and not a common password: zxcvbn, a maintained
estimator with the leaked-password frequency lists, must rate it at least 2 of 4 (it rates
`12345678`, `password`, `P@ssw0rd` and `Qwerty123!` 0 or 1).
"""
from __future__ import annotations

from zxcvbn import zxcvbn

from ..errors import Invalid, field_error

MIN_LENGTH = 8
MIN_CLASSES = 3
MIN_SCORE = 2


def _classes(password: str) -> int:
    return sum((any(c.islower() for c in password), any(c.isupper() for c in password),
                any(c.isdigit() for c in password), any(not c.isalnum() for c in password)))


def _refuse(code: str, message: str, field: str) -> Invalid:
    return Invalid(message, code=code, errors=[field_error(field, message)])


def check(password: str, username: str, field: str = "password") -> None:
    """Raise 422 with a stable code when `password` does not meet the policy."""
    if len(password) < MIN_LENGTH:
        raise _refuse("password_too_short", f"密码至少 {MIN_LENGTH} 位。", field)
    if _classes(password) < MIN_CLASSES:
        raise _refuse("password_too_simple", "密码须包含大写字母、小写字母、数字、符号中的至少三类。", field)
    if username and username.lower() in password.lower():
        raise _refuse("password_contains_username", "密码不能包含用户名。", field)
    if zxcvbn(password[:100], user_inputs=[username] if username else [])["score"] < MIN_SCORE:
        raise _refuse("password_too_common", "密码过于常见或容易猜到，请换一个。", field)
