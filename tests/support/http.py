"""HTTP helpers for tests."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Session:
    access_token: str
    refresh_token: str
    device_id: str
    body: dict = field(default_factory=dict)

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.access_token}"}

    @classmethod
    def login(cls, client, username: str, password: str, device: str = "test-device-0001", name: str = "测试手机"):
        r = client.post("/api/v1/auth/login", json={"username": username, "password": password,
                                                     "device_id": device, "device_name": name})
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        return cls(body["access_token"], body["refresh_token"], device, body)


def assert_problem(resp, status: int, code: str | None = None) -> dict:
    """The response is RFC 9457 problem+json with this status (and code)."""
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:500])
    assert resp.mimetype == "application/problem+json", resp.mimetype
    body = resp.get_json()
    for key in ("type", "title", "status", "detail", "code"):
        assert key in body, (key, body)
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body
