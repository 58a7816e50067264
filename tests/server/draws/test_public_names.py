"""Issue 15, point 6: the public draw page masks individual operators' names exactly as the public
results do (one function, registry.protect.public_name); the departments' own view keeps them."""
from __future__ import annotations

import re

from tests.server.draws.draw_support import audit_package, demo_task_id

PERSON = re.compile(r"^[\u4e00-\u9fa5·]{2,4}$")


def test_public_draw_masks_individual_operators_named_after_themselves(client, login):
    tid = demo_task_id(client, login)
    objects = audit_package(client, login, tid)["objects"].values()
    registered = {o["credit_code"]: o["name"] for o in objects}
    # The demo draw selects individual businesses registered under the operator's own name.
    personal = {c: n for c, n in registered.items() if c and c.startswith("92") and PERSON.match(n)}
    assert personal, "the demo draw should select an individual business named after its operator"

    public = {o["credit_code"]: o["name"] for o in client.get(f"/api/v1/public/draws/{tid}").get_json()["selected"]}
    for code, name in personal.items():
        assert public[code] == name[0] + "*" * (len(name) - 1), (name, public[code])
    # Trade names (德顺面馆, companies) are shown as registered.
    others = [c for c in public if c not in personal]
    assert others and all(public[c] == registered[c] for c in others)
    # The same masking as the public results: one function.
    assert not any(n in client.get(f"/api/v1/public/draws/{tid}").get_data(as_text=True) for n in personal.values())

    staff = {o["credit_code"]: o["name"] for o in
             client.get(f"/api/v1/draws/{tid}", headers=login("scjg-admin")).get_json()["selected"]}
    assert all(staff[c] == n for c, n in personal.items())
