"""What the desk needs from the review API: search and filters of the queue, result codes in
words, the Art. 21 evidence of a record without a normal check, the withholding requests a
leader decides, and what was published."""
from __future__ import annotations

import pytest

from tests.support import field
from tests.support.desk import seal_art21


@pytest.fixture
def seed_level():
    return "field"


@pytest.fixture
def two(client, login):
    office = login("office")
    scout = field.Phone(client, "scjg-insp1")
    scout.pull()
    first, second = [v["id"] for v in scout.visits()[:2]]
    ctx = field.complete_inspection(client, office, first, codes=("A",), followup="routine",
                                    findings=[{"department": "scjg", "description": "冷藏柜温度超标"}])
    evidence = seal_art21(client, office, second, "refused")
    return {"first": first, "second": second, "ctx": ctx, "evidence": evidence}


def test_queue_search_filters_and_words(client, login, two):
    h = login("scjg-reviewer")
    rows = client.get("/api/v1/reviews", headers=h).get_json()
    assert len(rows) == 2
    row = next(r for r in rows if r["visit_id"] == two["first"])
    assert row["result_labels"] == [{"code": "A", "label": "发现问题待后续处理"}]
    # The entering department (谁检查、谁录入): the reviewer's own.
    assert row["department"] == "scjg" and row["department_name"] == "忻州市市场监督管理局" and row["inspectors"]
    # Search by name, credit code, task and inspector; a miss finds nothing.
    by = lambda q: [r["visit_id"] for r in client.get("/api/v1/reviews", headers=h, query_string={"q": q}).get_json()]  # noqa: E731
    assert by(row["object_name"][:4]) == [two["first"]] or two["first"] in by(row["object_name"][:4])
    assert by(row["credit_code"].lower()) == [two["first"]]
    assert set(by(row["task_code"])) == {two["first"], two["second"]}
    assert two["first"] in by(row["inspectors"][0])
    assert by("不存在的企业名称") == []
    # The office filters by the entering department; a department that did not check gives nothing.
    o = login("office")
    depts = {d["code"]: d["id"] for d in client.get("/api/v1/departments", headers=o).get_json()}
    assert len(client.get("/api/v1/reviews", headers=o, query_string={"department_id": depts["scjg"]}).get_json()) == 2
    assert client.get("/api/v1/reviews", headers=o, query_string={"department_id": depts["sthj"]}).get_json() == []
    bad = client.get("/api/v1/reviews", headers=h, query_string={"q": "x" * 101})
    assert bad.status_code == 422 and bad.get_json()["code"] == "validation_failed"


def test_detail_shows_art21_evidence_as_the_pdf(client, login, two):
    d = client.get(f"/api/v1/reviews/{two['second']}", headers=login("scjg-reviewer")).get_json()
    s = d["sheet"]
    assert s["case_label"] == "不予配合检查情节严重"
    got = {e["label"]: e["text"] for e in s["outcome_evidence"]}
    assert got == {"拒绝配合的事项": two["evidence"]["refused_what"], "拒绝方式": two["evidence"]["refused_how"],
                   "见证人": two["evidence"]["witness"], "情况说明": two["evidence"]["description"]}
    assert len(s["outcome_media_ids"]) == 1
    assert all(not i["checkpoints"] for i in s["items"])  # nothing answered: the desk says so instead of empty tables
    assert d["withholdings"] == [] and d["published"] is None


def test_withholding_list_and_published_detail(client, login, two):
    rv, leader = login("scjg-reviewer"), login("scjg-leader")
    for vid in (two["first"], two["second"]):
        assert client.post(f"/api/v1/reviews/{vid}/approve", headers=rv).status_code == 200
    r = client.post(f"/api/v1/reviews/{two['second']}/withhold", headers=rv, json={"reason": "涉及正在办理的案件"})
    assert r.status_code == 201
    listed = client.get("/api/v1/reviews/withholdings", headers=leader).get_json()
    assert [(w["status"], w["reason"], w["result"]) for w in listed] == [("requested", "涉及正在办理的案件", "不配合检查情节严重")]
    assert listed[0]["requested_by"] and listed[0]["object_name"]
    assert client.get("/api/v1/reviews/withholdings", headers=login("sthj-admin")).get_json() == []
    wid = listed[0]["id"]
    assert client.post(f"/api/v1/reviews/withholdings/{wid}/decision", headers=leader,
                       json={"approve": True, "note": "同意"}).status_code == 200
    assert client.get("/api/v1/reviews/withholdings", headers=leader, query_string={"status": "requested"}).get_json() == []
    d = client.get(f"/api/v1/reviews/{two['second']}", headers=rv).get_json()
    assert d["review"]["status"] == "withheld" and d["withholdings"][0]["decided_by"]
    assert client.post(f"/api/v1/reviews/{two['first']}/publish", headers=rv).status_code == 200
    d = client.get(f"/api/v1/reviews/{two['first']}", headers=rv).get_json()
    assert d["published"]["result"] == "发现问题待后续处理" and d["published"]["published_at"]
    row = client.get("/api/v1/reviews", headers=rv, query_string={"status": "published"}).get_json()[0]
    assert row["published_on"] and row["revised_on"] is None


def test_detail_offers_result_codes_in_words_while_the_entry_is_open(client, login, two):
    """The desk's picker: every result code with its words while the reader's own entry is open;
    the codes picked are what approving enters; nothing to pick once entered, nor for readers
    without an entry of their own."""
    from server.visits.rules import RESULT_CODES

    rv = login("scjg-reviewer")
    d = client.get(f"/api/v1/reviews/{two['first']}", headers=rv).get_json()
    assert d["review"]["result_choices"] == [{"code": c, "label": label} for c, label in RESULT_CODES.items()]
    assert d["review"]["proposed_labels"] == [{"code": "A", "label": "发现问题待后续处理"}]
    office = client.get(f"/api/v1/reviews/{two['first']}", headers=login("office")).get_json()
    assert office["review"]["writable"] is False and office["review"]["result_choices"] is None
    # "未发现问题" while the department's own item carries a finding is refused, nothing entered.
    r = client.post(f"/api/v1/reviews/{two['first']}/approve", headers=rv, json={"result_codes": ["1"]})
    assert r.status_code == 422 and r.get_json()["code"] == "result_inconsistent"
    assert client.get(f"/api/v1/reviews/{two['first']}", headers=rv).get_json()["review"]["status"] == "pending"
    r = client.post(f"/api/v1/reviews/{two['first']}/approve", headers=rv, json={"result_codes": ["A", "5"]})
    assert r.status_code == 200
    d = client.get(f"/api/v1/reviews/{two['first']}", headers=rv).get_json()
    assert d["review"]["result_labels"] == [{"code": "A", "label": "发现问题待后续处理"},
                                            {"code": "5", "label": "违反其他部门相关规定"}]
    assert d["review"]["result_choices"] is None and d["review"]["proposed_labels"] is None


def test_detail_and_pdf_before_the_signature_images_arrive(client, login):
    """A sealed record whose photos and signature images are still on the phone (not yet uploaded)
    opens at the desk and prints: the images are shown as missing, never a server error."""
    office = login("office")
    scout = field.Phone(client, "scjg-insp1")
    scout.pull()
    ctx = field.complete_inspection(client, office, scout.visits()[0]["id"], upload_bytes=False)
    h = login("scjg-reviewer")
    d = client.get(f"/api/v1/reviews/{ctx['visit_id']}", headers=h)
    assert d.status_code == 200, d.get_json()
    assert d.get_json()["sheet"]["signatures"]
    pdf = client.get(f"/api/v1/reviews/{ctx['visit_id']}/record.pdf", headers=h)
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"
