"""Fault-injected sync load: N phones push a day of inspection work to a real gunicorn.

Usage:  .venv/bin/python bench/sync_load.py [--phones 200] [--concurrency 32]
                                            [--workers 2] [--threads 8] [--pg postgresql://postgres@127.0.0.1:5432/postgres]
        the province-scale evening burst:  --phones 2000 --concurrency 64 --pg …
        the morning logins:  --morning-logins (each phone's day begins with its login, timed,
                             the password hashed at the production cost: argon2 t=3, 64 MiB)

Set-up (not timed): a throwaway database (a SQLite file, or with --pg a PostgreSQL
database `<BENCH_DB_PREFIX>sync_<random>` created and dropped by bench/_setup.py) is
migrated and seeded with the "field" demo data (a drawn joint task with teams). Every phone gets its own
inspector account (scjg) leading its own visit of the joint task, with the task's
yjgl and wsjk members, so that each phone's intended final state is known exactly.
gunicorn (gthread) serves the app on a free loopback port; the phones log in.

Load (timed): each phone does a day of work on its visit — a pull (its package),
~40 mutations (arrival, people present, credentials, rights, answers and revisions,
photos, findings and their updates, the outcome) pushed in batches of 4–12, and a
final pull — with injected faults on each push:
  * dropped response (10 %): the server's reply is thrown away and the batch resent;
  * duplicate send (5 %): the same batch sent twice at once, on two connections;
  * reordering (5 %): the next batch is sent before this one (a gap: the server must
    apply nothing of it and say `mutation_gap`), then this one, then the next again.
Phones run `--concurrency` at a time, each on its own keep-alive connection.

Reported: mutations/s and pushes/s over the load phase, push and pull latency p50/p95/p99;
the same gunicorn's "hello" ceiling (GET /livez, a JSON answer touching no database)
measured with the same concurrency right after, and the ratio mutations/s ÷ hello req/s,
which compares across machines; the server's CPU seconds per mutation (gunicorn workers,
and PostgreSQL's backends for the bench database, from /proc), each worker's memory (RSS,
peak while loaded and after) and, on PostgreSQL, the peak number of connections to the
bench database; and a reconciliation of the database against what every phone
intended: lost and doubled must both be 0 (answers, findings, photos, record fields,
one stored result per mutation id, one audit mention per mutation id, and the
visit's version = initial + number of mutations, which a doubled apply would raise).

Where the time goes (queries and CPU per mutation, a cProfile): bench/sync_profile.py, and
the figures before and after the set-wise push in docs/sync-performance.md.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import FIELD_STEPS, PASSWORD, ROOT, SECRET, bench_app  # noqa: E402  (also puts the repository on sys.path)


# --- database -----------------------------------------------------------------------------

def seed(app, phones: int, production_hashing: bool = False) -> list[dict]:
    """On the field demo data, give each phone an account and a visit of its own; with
    `production_hashing` their passwords are hashed at the production cost (argon2, BaseConfig)."""
    from sqlalchemy import insert, select

    from server.accounts.models import User, UserRole
    from server.visits.models import Visit, VisitMember
    from server.extensions import db
    from server.inspectors.models import Inspector
    from server.registry.models import InspectionObject

    with app.app_context():
        templates = db.session.execute(select(Visit).order_by(Visit.id)).scalars().all()
        task_id = templates[0].task_id
        used = {v.object_id for v in templates}
        free = [o for o in db.session.execute(select(InspectionObject.id).order_by(InspectionObject.id)).scalars()
                if o not in used][:phones]
        if len(free) < phones:  # the demo has 2,000 objects: copies of one of them for the rest
            model = db.session.execute(select(InspectionObject.__table__).where(InspectionObject.id == free[0])).mappings().one()
            copies = [{**{k: v for k, v in model.items() if k != "id"}, "credit_code": None,
                       "match_key": f"bench-{uuid.uuid4().hex}", "name": f"{model['name']}（压测{n}）"}
                      for n in range(phones - len(free))]
            ids = db.session.execute(insert(InspectionObject.__table__).returning(InspectionObject.__table__.c.id),
                                     copies).scalars().all()
            free += list(ids)
        assert len(free) == phones, "not enough objects for the phones"
        model_user = db.session.execute(select(User).where(User.username == "scjg-insp1")).scalar_one()
        model_insp = db.session.execute(select(Inspector).where(Inspector.user_id == model_user.id)).scalar_one()
        password_hash = model_user.password_hash
        if production_hashing:  # a login verifies at the cost stored in the hash, whatever the server's config
            from argon2 import PasswordHasher

            from server.config import BaseConfig

            password_hash = PasswordHasher(time_cost=BaseConfig.ARGON2_TIME_COST,
                                           memory_cost=BaseConfig.ARGON2_MEMORY_COST).hash(PASSWORD)
        out = []
        for i in range(phones):
            username = f"bench-p{i:04d}"
            user = User(username=username, display_name=f"压测{i}", department_id=model_user.department_id, active=True,
                        password_hash=password_hash)
            db.session.add(user)
            db.session.flush()
            db.session.execute(insert(UserRole).values(user_id=user.id, role="inspector"))
            insp = Inspector(user_id=user.id, name=f"压测{i}", department_id=model_insp.department_id,
                             cert_no=f"BENCH{os.getpid() % 100000:05d}{i:05d}", cert_valid_from=model_insp.cert_valid_from,
                             cert_valid_until=model_insp.cert_valid_until, post=model_insp.post, kind="general",
                             qualification_tags=model_insp.qualification_tags, expertise_tags=[], active=True)
            db.session.add(insp)
            db.session.flush()
            tpl = templates[i % len(templates)]
            visit = Visit(id=str(uuid.uuid4()), task_id=task_id, object_id=free[i], stratum=tpl.stratum, rank=1000 + i,
                          status="not_started", scheduled_date=tpl.scheduled_date, time_from=tpl.time_from,
                          time_to=tpl.time_to, version=1)
            visit.members = [VisitMember(position=0, inspector_id=insp.id, user_id=user.id,
                                         department_id=insp.department_id, role="leader", active=True)]
            for m in tpl.members:
                if m.active and m.role != "leader":
                    visit.members.append(VisitMember(position=len(visit.members), inspector_id=m.inspector_id,
                                                     user_id=m.user_id, department_id=m.department_id, role=m.role,
                                                     active=True))
            db.session.add(visit)
            out.append({"username": username, "visit_id": visit.id,
                        "inspectors": sorted(m.inspector_id for m in visit.members)})
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return out


# --- the server ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, url: str, workdir: Path, workers: int, threads: int):
        self.port = free_port()
        prom = workdir / "prometheus"  # the workers' metrics, added up by /metrics (the writer's turn)
        prom.mkdir(exist_ok=True)
        env = {**os.environ, "APP_ENV": "testing", "DATABASE_URL": url, "DSR_INSTANCE_PATH": str(workdir),
               "SECRET_KEY": SECRET, "DEMO_PASSWORD": PASSWORD, "PYTHONPATH": str(ROOT),
               "PROMETHEUS_MULTIPROC_DIR": str(prom), "METRICS_ALLOW": "127.0.0.1"}
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.log = open(workdir / "gunicorn.log", "wb")
        self.proc = subprocess.Popen([gunicorn, "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                                      "--worker-class", "gthread", "--threads", str(threads), "--timeout", "120",
                                      "--backlog", "2048", "--no-control-socket", "--chdir", str(ROOT), "wsgi:app"],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if Conn(self.port).request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit(f"gunicorn did not start; see {workdir / 'gunicorn.log'}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


_WRITER_METRICS = {"writes": "dsr_sqlite_write_transactions_total", "held": "dsr_sqlite_writer_held_seconds_total",
                   "waited": "dsr_sqlite_writer_wait_seconds_total"}


def writer_turn(port: int) -> dict[str, float]:
    """SQLite's writer turn so far, added up over the workers: write transactions, seconds held, waited."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("GET", "/metrics")
        r = c.getresponse()
        status, text = r.status, r.read().decode()
    finally:
        c.close()
    if status != 200:
        return {}
    values = {}
    for key, name in _WRITER_METRICS.items():
        for line in text.splitlines():
            if line.startswith(name + " "):
                values[key] = float(line.split()[1])
    return values


class Conn:
    """One keep-alive HTTP connection (reconnects after an error)."""

    def __init__(self, port: int):
        self.port = port
        self.c = None

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, object]:
        h = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.c is None:
                self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self.c.request(method, path, body=data, headers=h)
                r = self.c.getresponse()
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
            except (OSError, http.client.HTTPException):
                self.c.close()
                self.c = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.c is not None:
            self.c.close()
            self.c = None


# --- one phone's day ----------------------------------------------------------------------

class Phone:
    def __init__(self, spec: dict, task: dict | None, rng: random.Random):
        self.spec = spec
        self.rng = rng
        self.client_id = str(uuid.uuid4())
        self.visit_id = spec["visit_id"]
        self.token = None
        self.outbox: list[dict] = []
        self.intended: dict = {}

    def plan_day(self, item: dict) -> None:
        """About 40 mutations, and the state they must leave behind."""
        rng, vid = self.rng, self.visit_id
        muts: list[tuple[str, dict]] = []
        want = {"answers": {}, "findings": {}, "media": set()}

        def add(name, **args):
            muts.append((name, {"visit_id": vid, **args}))

        add("visit.arrive", at="2026-12-02T09:05:00+08:00", gps={"lat": 38.41 + rng.random() / 100, "lon": 112.73,
                                                                   "accuracy": 10.0}, method="onsite")
        add("visit.present", inspector_ids=self.spec["inspectors"])
        add("visit.credentials_shown", at="2026-12-02T09:06:00+08:00")
        add("visit.rights_informed", at="2026-12-02T09:07:00+08:00")
        want.update(present=self.spec["inspectors"], credentials="2026-12-02T09:06:00+08:00",
                    rights="2026-12-02T09:07:00+08:00", arrival="2026-12-02T09:05:00+08:00")

        def value(cp):
            return {"pass_fail_na": rng.choice(["pass", "fail", "na"]), "number": f"{rng.uniform(0, 9):.1f}",
                    "text": rng.choice(["情况正常", "记录不全"]), "choice": rng.choice(cp["choices"] or ["x"])}[cp["answer_type"]]

        versions = {}
        cps = item["checkpoints"]
        for cp in cps:  # first answers
            v, note = value(cp), None
            add("answer.set", item_id=item["item_id"], checkpoint_key=cp["key"], value=v, note=note, base_version=None)
            versions[cp["key"]] = 1
            want["answers"][cp["key"]] = (v, note)
        findings = []
        for n in range(3):
            fid, mid = str(uuid.uuid4()), str(uuid.uuid4())
            sha = hashlib.sha256(mid.encode()).hexdigest()
            add("media.attach", media_id=mid, sha256=sha, kind="photo", target={"type": "finding", "id": fid},
                claim={"captured_at": "2026-12-02T09:20:00+08:00"})
            want["media"].add(mid)
            desc = f"问题{n}：{rng.choice(['冷藏温度超标', '健康证过期', '进货记录缺失'])}"
            add("finding.add", finding_id=fid, item_id=item["item_id"], checkpoint_key=cps[n]["key"], description=desc,
                legal_basis="《食品安全法》", measures=["onsite_record"], rectify_deadline="2026-12-20", media_ids=[mid])
            findings.append(fid)
            want["findings"][fid] = desc
        for n in range(18):  # revisions during the day (the same member: no conflicts)
            cp = cps[rng.randrange(len(cps))]
            v, note = value(cp), f"复核{n}"
            if (v, note) != want["answers"][cp["key"]]:
                base = versions[cp["key"]]
                versions[cp["key"]] += 1
            else:
                base = versions[cp["key"]]
            add("answer.set", item_id=item["item_id"], checkpoint_key=cp["key"], value=v, note=note, base_version=base)
            want["answers"][cp["key"]] = (v, note)
            if n % 6 == 0:
                fid = findings[n // 6]
                desc = f"更新{n}：已责令整改"
                add("finding.update", finding_id=fid, description=desc, base_version=1)
                want["findings"][fid] = desc
        for n in range(5):
            mid = str(uuid.uuid4())
            cp = cps[rng.randrange(len(cps))]
            add("media.attach", media_id=mid, sha256=hashlib.sha256(mid.encode()).hexdigest(), kind="photo",
                target={"type": "answer", "id": f"{item['item_id']}:{cp['key']}"}, claim={})
            want["media"].add(mid)
        add("outcome.set", codes=["A"], followup="rectify", followup_note="限期整改", case=None)
        want["outcome_codes"] = ["A"]
        self.outbox = [{"id": i + 1, "name": name, "client_time": "2026-12-02T10:00:00+08:00", "args": args}
                       for i, (name, args) in enumerate(muts)]
        self.intended = want

    @property
    def headers(self):
        return {"Authorization": f"Bearer {self.token}"}

    def login(self, c: "Conn", stats: "Stats | None" = None) -> None:
        t0 = time.perf_counter()
        status, body = c.request("POST", "/api/v1/auth/login", {
            "username": self.spec["username"], "password": PASSWORD, "device_id": f"bench-{self.client_id[:12]}",
            "device_name": "压测手机"})
        assert status == 200, body
        self.token = body["access_token"]
        if stats is not None:
            stats.add("login", time.perf_counter() - t0)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.push_latency: list[float] = []
        self.pull_latency: list[float] = []
        self.first_pull_latency: list[float] = []  # a phone's first pull (no cursor): it registers the phone
        self.later_pull_latency: list[float] = []
        self.login_latency: list[float] = []  # --morning-logins
        self.events = Counter()

    def add(self, kind: str, seconds: float | None = None, **counts) -> None:
        with self.lock:
            if kind == "push":
                self.push_latency.append(seconds)
            elif kind == "login":
                self.login_latency.append(seconds)
            elif kind in ("pull", "first_pull"):
                self.pull_latency.append(seconds)
                (self.first_pull_latency if kind == "first_pull" else self.later_pull_latency).append(seconds)
            self.events.update(counts)


_local = threading.local()


def conn(port: int) -> Conn:
    if getattr(_local, "conn", None) is None:
        _local.conn = Conn(port)
    return _local.conn


def push(port: int, phone: Phone, batch: list[dict], stats: Stats, c: Conn | None = None) -> dict:
    body = {"client_id": phone.client_id, "schema_version": 1, "mutations": batch}
    while True:
        t0 = time.perf_counter()
        status, data = (c or conn(port)).request("POST", "/api/v1/sync/push", body, phone.headers)
        stats.add("push", time.perf_counter() - t0, pushes=1)
        if status == 200:
            st = Counter(r["status"] for r in data["results"])
            stats.add("", applied=st["applied"], duplicate=st["duplicate"], rejected=st["rejected"])
            if st["rejected"]:
                stats.add("", **{f"rejected:{r['problem']['code']}": 1 for r in data["results"] if r["status"] == "rejected"})
            return data
        stats.add("", **{f"http_{status}": 1})
        if status == 401:  # the access token expired (logging 2,000 phones in takes longer than its 15 minutes)
            phone.login(c or conn(port))
            continue
        time.sleep(0.2)  # 503 (transient): retry the same batch


def pull(port: int, phone: Phone, cursor: str | None, stats: Stats, entities: dict) -> str:
    while True:
        url = f"/api/v1/sync/pull?client_id={phone.client_id}" + (f"&cursor={cursor}" if cursor else "")
        t0 = time.perf_counter()
        status, data = conn(port).request("GET", url, headers=phone.headers)
        stats.add("pull" if cursor else "first_pull", time.perf_counter() - t0, pulls=1)
        if status != 200:
            stats.add("", **{f"pull_http_{status}": 1})
            if status == 401:
                phone.login(conn(port))
                continue
            time.sleep(0.2)
            continue
        if data["reset"]:
            entities.clear()
        for ch in data["changes"]:
            if ch["op"] == "del":
                entities.pop((ch["entity"], ch["id"]), None)
            else:
                entities[(ch["entity"], ch["id"])] = ch["data"]
        cursor = data["cursor"]
        if not data["more"]:
            return cursor


def day(port: int, phone: Phone, stats: Stats) -> dict:
    rng = phone.rng
    entities: dict = {}
    cursor = pull(port, phone, None, stats, entities)  # the morning package
    visit = entities[("visit", phone.visit_id)]
    task = entities[("task", visit["task_id"])]
    me = entities[next(k for k in entities if k[0] == "me")]
    item = next(i for i in task["items"] if i["department_id"] == me["department"]["id"])
    phone.plan_day(item)
    out = phone.outbox
    acked = 0
    while acked < len(out):
        size = rng.randint(4, 12)
        batch = out[acked:acked + size]
        roll = rng.random()
        if roll < 0.10:  # the response is lost on the way back: resend the same batch
            push(port, phone, batch, stats)
            stats.add("", fault_dropped=1)
        elif roll < 0.15:  # the same batch twice at once
            second = Conn(port)
            t = threading.Thread(target=push, args=(port, phone, batch, stats, second))
            t.start()
            push(port, phone, batch, stats)
            t.join()
            second.close()
            stats.add("", fault_duplicate=1)
        elif roll < 0.20 and acked + size < len(out):  # the next batch overtakes this one
            ahead = push(port, phone, out[acked + size:acked + 2 * size], stats)
            assert ahead["results"] == [] and ahead["problem"]["code"] == "mutation_gap", ahead
            assert ahead["last_mutation_id"] == acked
            stats.add("", fault_reordered=1)
        data = push(port, phone, batch, stats)
        assert data["last_mutation_id"] >= acked
        acked = data["last_mutation_id"]
    pull(port, phone, cursor, stats, entities)  # the evening pull: the server's version of the day
    return entities[("visit", phone.visit_id)]


# --- reconciliation -----------------------------------------------------------------------

def reconcile(app, phones: list[Phone], pulled: dict) -> dict:
    from sqlalchemy import select

    from server.audit.models import AuditEntry
    from server.visits.models import Visit
    from server.extensions import db
    from server.visits.models import Answer, Finding, MediaRef, VisitRecord
    from sync.models import SyncClient, SyncMutation

    lost = doubled = 0
    problems: list[str] = []
    with app.app_context():
        audit_ids = Counter()
        for payload in db.session.execute(select(AuditEntry.payload).where(AuditEntry.action == "sync.push")).scalars():
            entry = json.loads(payload)
            for m in entry["data"]["mutations"]:
                audit_ids[(entry["target"]["id"], m["id"])] += 1
        for ph in phones:
            w, vid, n = ph.intended, ph.visit_id, len(ph.outbox)
            client = db.session.get(SyncClient, ph.client_id)
            rows = db.session.execute(select(SyncMutation.mutation_id, SyncMutation.status)
                                      .where(SyncMutation.client_id == ph.client_id)).all()
            ids = Counter(r.mutation_id for r in rows)
            lost += sum(1 for i in range(1, n + 1) if ids[i] == 0)
            doubled += sum(c - 1 for c in ids.values() if c > 1)
            if client is None or client.last_mutation_id != n:
                problems.append(f"{ph.spec['username']}: last_mutation_id {client and client.last_mutation_id} != {n}")
            if any(r.status != "applied" for r in rows):
                problems.append(f"{ph.spec['username']}: not every mutation applied")
            for i in range(1, n + 1):
                c = audit_ids[(ph.client_id, i)]
                lost += c == 0
                doubled += max(0, c - 1)
            visit = db.session.get(Visit, vid)
            rec = db.session.get(VisitRecord, vid)
            # Every mutation bumps the visit's version exactly once: doubles raise it, losses lower it.
            delta = visit.version - (1 + n)
            lost += max(0, -delta)
            doubled += max(0, delta)
            answers = {a.checkpoint_key: (a.value, a.note) for a in
                       db.session.execute(select(Answer).where(Answer.visit_id == vid)).scalars()}
            lost += sum(1 for k, v in w["answers"].items() if answers.get(k) != v)
            doubled += max(0, len(answers) - len(w["answers"]))
            findings = {f.id: f.description for f in db.session.execute(select(Finding).where(Finding.visit_id == vid)).scalars()}
            lost += sum(1 for k, v in w["findings"].items() if findings.get(k) != v)
            doubled += max(0, len(findings) - len(w["findings"]))
            media = [m.media_id for m in db.session.execute(select(MediaRef).where(MediaRef.visit_id == vid)).scalars()]
            lost += len(w["media"] - set(media))
            doubled += len(media) - len(set(media)) + len(set(media) - w["media"])
            if (rec.arrival_at, sorted(rec.present), rec.credentials_shown_at, rec.rights_informed_at,
                    rec.outcome["codes"]) != (w["arrival"], w["present"], w["credentials"], w["rights"], w["outcome_codes"]):
                lost += 1
                problems.append(f"{ph.spec['username']}: record fields differ")
            # What the phone pulled at the end of its day is what it meant to send.
            got = {k.split(":", 1)[1]: (a["value"], a["note"]) for k, a in pulled[ph.client_id]["record"]["answers"].items()}
            if got != w["answers"]:
                problems.append(f"{ph.spec['username']}: pulled answers differ")
        db.session.remove()
    return {"lost": lost, "doubled": doubled, "problems": problems}


# --- resources: CPU, memory, connections ----------------------------------------------------

def _proc_cpu(pid: int) -> float:
    """utime + stime of one process, in seconds (0 when it is gone or not readable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def worker_pids(master: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


class Resources(threading.Thread):
    """Samples, twice a second during the load, each gunicorn worker's memory and (on
    PostgreSQL) the connections to the bench database; CPU is read at start and end."""

    def __init__(self, master: int, pg_admin: str | None, dbname: str | None, stats: "Stats | None" = None,
                 every: float = 60.0):
        super().__init__(daemon=True)
        self.master, self.pg_admin, self.dbname = master, pg_admin, dbname
        self.stats, self.every, self.t0 = stats, every, time.perf_counter()
        self.stop_event = threading.Event()
        self.rss: dict[int, float] = {}
        self.conns = self.active = 0
        self.cpu0 = self._cpu()

    def _backends(self) -> list[int]:
        if not self.pg_admin:
            return []
        import psycopg

        with psycopg.connect(self.pg_admin, autocommit=True) as c:
            return [r[0] for r in c.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.dbname,))]

    def _cpu(self) -> dict:
        return {"workers": {p: _proc_cpu(p) for p in worker_pids(self.master)},
                "backends": {p: _proc_cpu(p) for p in self._backends()}}

    def run(self) -> None:
        c = None
        if self.pg_admin:
            import psycopg

            c = psycopg.connect(self.pg_admin, autocommit=True)
        while not self.stop_event.wait(0.5):
            for pid in worker_pids(self.master):
                self.rss[pid] = max(self.rss.get(pid, 0.0), _rss_mb(pid))
            if c is not None:
                total, active = c.execute("SELECT count(*), count(*) FILTER (WHERE state <> 'idle') FROM pg_stat_activity"
                                          " WHERE datname = %s", (self.dbname,)).fetchone()
                self.conns, self.active = max(self.conns, total), max(self.active, active)
                self._now = total
            self._progress()
        if c is not None:
            c.close()

    def _progress(self) -> None:
        """A line every `every` seconds, so that a long run (2,000 phones) shows how it goes."""
        elapsed = time.perf_counter() - self.t0
        if self.stats is None or elapsed < getattr(self, "_next", self.every):
            return
        self._next = elapsed + self.every
        ev = self.stats.events
        print(f"  [{elapsed:.0f}s] {ev['applied']} mutations applied ({ev['applied'] / elapsed:.0f}/s), {ev['pushes']} pushes,"
              f" {ev['pulls']} pulls; worker RSS " + ", ".join(f"{v:.0f}" for v in self.rss.values()) + " MB"
              + (f"; PostgreSQL connections now {self._now} (peak {self.conns})" if self.pg_admin else ""), flush=True)

    def finish(self) -> dict:
        self.stop_event.set()
        self.join()
        end = self._cpu()
        used = {k: sum(v - self.cpu0[k].get(p, 0.0) for p, v in end[k].items()) for k in end}
        return {"cpu": used, "rss": self.rss, "conns": self.conns, "active": self.active,
                "rss_now": {p: _rss_mb(p) for p in worker_pids(self.master)}}


# --- main ---------------------------------------------------------------------------------

def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def ceiling(port: int, concurrency: int, seconds: float, path: str = "/livez") -> tuple[float, float, int]:
    """GET `path` (hello JSON, no database) as fast as `concurrency` keep-alive clients can:
    (requests/s, p50 latency, requests)."""
    lat: list[float] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def run():
        c, mine = Conn(port), []
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            status, _ = c.request("GET", path)
            assert status == 200
            mine.append(time.perf_counter() - t0)
        with lock:
            lat.extend(mine)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=run) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(lat) / (time.perf_counter() - t0), statistics.median(lat), len(lat)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--phones", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=32, help="phones syncing at the same moment")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--pg", help="PostgreSQL admin URL; a database <BENCH_DB_PREFIX>sync_<random> is created and "
                                 "dropped")
    ap.add_argument("--ceiling-seconds", type=float, default=8.0)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--morning-logins", action="store_true",
                    help="each phone's day begins with a login (timed), its password hashed at the production cost")
    args = ap.parse_args()

    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))  # clean up (server, database) when stopped
    t0 = time.perf_counter()
    with bench_app("postgresql" if args.pg else "sqlite", FIELD_STEPS, pg_admin=args.pg, tag="sync_") as (app, url):
        specs = seed(app, args.phones, production_hashing=args.morning_logins)
        print(f"database: {'PostgreSQL' if args.pg else 'SQLite (WAL)'} {url.rsplit('/', 1)[-1]}; "
              f"{args.phones} phones seeded in {time.perf_counter() - t0:.1f}s")
        server = Server(url, Path(app.config["INSTANCE_PATH"]), args.workers, args.threads)
        try:
            return load(app, server, specs, args, url.rsplit("/", 1)[-1] if args.pg else None)
        finally:
            server.stop()


def load(app, server: "Server", specs: list[dict], args, dbname: str | None = None) -> int:
    """The timed day of every phone, the ceiling, and the reconciliation; 0 when nothing was lost or doubled."""
    print(f"gunicorn: {args.workers} workers x {args.threads} threads (gthread) on 127.0.0.1:{server.port}; "
          f"{args.concurrency} phones at a time")
    rng = random.Random(args.seed)
    phones = [Phone(s, None, random.Random(rng.random())) for s in specs]
    c = Conn(server.port)
    for ph in phones if not args.morning_logins else ():  # logging in is not part of the day
        ph.login(c)

    pulled: dict = {}
    errors: list = []

    def run(ph):
        try:
            if args.morning_logins:
                ph.login(conn(server.port), stats)
            pulled[ph.client_id] = day(server.port, ph, stats)
        except Exception as exc:  # reported below
            errors.append((ph.spec["username"], repr(exc)))
        finally:
            if getattr(_local, "conn", None) is not None and _local.conn.c is not None:
                pass

    stats = Stats()
    res = Resources(server.proc.pid, args.pg, dbname, stats)
    res.start()
    writer0 = writer_turn(server.port)
    t0, client_cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        list(pool.map(run, phones))
    wall, client_cpu = time.perf_counter() - t0, time.process_time() - client_cpu
    writer = {k: v - writer0.get(k, 0.0) for k, v in writer_turn(server.port).items()}
    used = res.finish()
    if errors:
        print(f"ERRORS in {len(errors)} phones, e.g. {errors[:3]}")

    ceil_rps, ceil_p50, ceil_n = ceiling(server.port, args.concurrency, args.ceiling_seconds)
    ev = stats.events
    n_mut = sum(len(p.outbox) for p in phones)
    mps, pps = n_mut / wall, ev["pushes"] / wall
    print(f"\nload phase: {wall:.1f}s for {len(phones)} phones, {n_mut} distinct mutations "
          f"({n_mut / len(phones):.0f} per phone), {ev['pushes']} pushes, {ev['pulls']} pull requests")
    print(f"faults injected: {ev['fault_dropped']} dropped responses, {ev['fault_duplicate']} duplicate sends, "
          f"{ev['fault_reordered']} reorderings; results: {ev['applied']} applied, {ev['duplicate']} duplicate, "
          f"{ev['rejected']} rejected; transient HTTP errors: "
          f"{ {k: v for k, v in ev.items() if k.startswith(('http_', 'pull_http_', 'rejected:'))} }")
    print(f"throughput: {mps:.0f} mutations/s, {pps:.0f} pushes/s")
    print(f"push latency: p50 {pct(stats.push_latency, 50) * 1000:.0f} ms, p95 {pct(stats.push_latency, 95) * 1000:.0f} ms,"
          f" p99 {pct(stats.push_latency, 99) * 1000:.0f} ms; pull p50 {pct(stats.pull_latency, 50) * 1000:.0f} ms,"
          f" p99 {pct(stats.pull_latency, 99) * 1000:.0f} ms")
    later = stats.later_pull_latency
    print(f"pull p50 / p99: a phone's first pull (it registers the phone: a write) "
          f"{pct(stats.first_pull_latency, 50) * 1000:.0f} / {pct(stats.first_pull_latency, 99) * 1000:.0f} ms; "
          f"later pulls (read only) {pct(later, 50) * 1000:.0f} / {pct(later, 99) * 1000:.0f} ms")
    if stats.login_latency:
        print(f"logins at the start of the day (argon2 at the production cost): {len(stats.login_latency)}, "
              f"p50 {pct(stats.login_latency, 50) * 1000:.0f} ms, p99 {pct(stats.login_latency, 99) * 1000:.0f} ms")
    print(f"hello ceiling (GET /livez, JSON, no database; same gunicorn, {args.concurrency} clients): {ceil_rps:.0f} "
          f"requests/s, p50 {ceil_p50 * 1000:.1f} ms ({ceil_n} requests)")
    print(f"ratio: mutations/s / hello req/s = {mps / ceil_rps:.3f}; pushes/s / hello req/s = {pps / ceil_rps:.3f}"
          f"  (peer figure: ODK Central ~41 submissions/s)")
    cpu_w, cpu_b = used["cpu"]["workers"], used["cpu"]["backends"]
    print(f"server CPU during the load: gunicorn workers {cpu_w:.1f} s = {cpu_w / n_mut * 1000:.2f} ms per mutation"
          + (f"; PostgreSQL backends {cpu_b:.1f} s = {cpu_b / n_mut * 1000:.2f} ms per mutation" if args.pg else "")
          + f"; the phones (this process) {client_cpu:.1f} s of the {wall * (os.cpu_count() or 1):.0f} CPU-seconds")
    if writer.get("writes"):
        print(f"SQLite writer's turn (one writer at a time; from /metrics): held {writer['held']:.1f} s of the {wall:.1f} s "
              f"load phase ({writer['held'] / wall:.0%}), {writer['writes']:.0f} write transactions held it "
              f"{writer['held'] / writer['writes'] * 1000:.1f} ms each and waited {writer['waited'] / writer['writes'] * 1000:.0f} ms "
              f"each for it")
    print("memory per worker (RSS, peak during the load / after): "
          + ", ".join(f"{used['rss'].get(p, 0):.0f}/{now:.0f} MB" for p, now in sorted(used["rss_now"].items())))
    if args.pg:
        print(f"PostgreSQL connections to the bench database: peak {used['conns']} ({used['active']} not idle at once)")
    rec = reconcile(app, phones, pulled)
    ok = rec["lost"] == 0 and rec["doubled"] == 0 and not rec["problems"] and not errors
    print(f"reconciliation: lost {rec['lost']}, doubled {rec['doubled']}"
          + (f", problems: {rec['problems'][:5]}" if rec["problems"] else "") + (" — OK" if ok else " — FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
