"""Demo object directory: sub-libraries per department and 2,000 fictional objects in Xinzhou.

Deterministic (seeded). Names are invented; every address ends in （演示数据）,
shop URLs are on example.com, credit codes pass the GB 32100 checksum with the
county's division in positions 3–8, and ID numbers are random digits with a
valid GB 11643 check character and nothing more. Loaded through the same
merge path as an import (`registry.upsert`).
"""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert

from ..audit import service as audit
from ..extensions import db
from ..identifiers import CREDIT_ALPHABET, XINZHOU_DIVISIONS, id_check_char, make_credit_code
from ..registry import sublibs
from ..registry.access import Editor
from ..registry.models import ObjectDeptCheck
from ..registry.normalize import normalize
from ..registry.upsert import Item, MemorySeen, audit_lists, process
from ..types import local_today
from .names import GIVEN, SURNAMES

SUB_LIBRARIES = [  # (department, code, name)
    ("scjg", "food_business", "食品经营"), ("scjg", "special_equipment", "特种设备"), ("scjg", "price", "价格"),
    ("scjg", "advertising", "广告"), ("scjg", "online_trade", "网络交易"), ("scjg", "product_quality", "产品质量"),
    ("sthj", "pollutant_permit", "排污许可"), ("sthj", "eia", "环境影响评价"),
    ("wsjk", "public_health", "公共场所卫生"), ("wsjk", "medical_institutions", "医疗机构"),
    ("yjgl", "work_safety", "安全生产"), ("yjgl", "hazardous_chemicals", "危险化学品"),
    ("sw", "refined_oil", "成品油流通"), ("sw", "prepaid_cards", "单用途预付卡"),
    ("wl", "cultural_market", "文化市场"), ("wl", "tourism_market", "旅游市场"),
    ("office", "joint_key_objects", "联合抽查重点对象"),
]
# Counties weighted roughly by number of businesses.
COUNTY_WEIGHTS = {"140902": 22, "140981": 14, "140921": 8, "140922": 8, "140923": 7, "140924": 7, "140925": 5,
                  "140926": 4, "140927": 3, "140928": 4, "140929": 3, "140930": 5, "140931": 5, "140932": 3}
BRANDS = ["晋源", "华通", "兴旺", "鑫达", "恒泰", "宏达", "金鼎", "瑞丰", "德顺", "永盛", "福源", "昌隆", "泰和", "丰裕",
          "顺安", "利民", "聚鑫", "天成", "润华", "康泰", "嘉禾", "博远", "同心", "乾元", "广益", "东升", "北辰", "雁门",
          "芦芽", "滹沱", "系舟", "凤鸣", "云中", "汾源", "禹王", "长城", "紫岩", "清凉", "涌泉", "红枫"]
# (name part, industry, sub-libraries) for enterprises and individual businesses.
ENTERPRISE_LINES = [
    ("餐饮管理", "餐饮业", ["food_business"]), ("食品", "食品制造业", ["food_business", "product_quality"]),
    ("机械制造", "通用设备制造业", ["special_equipment", "work_safety"]), ("商贸", "批发业", ["price", "advertising"]),
    ("建材", "非金属矿物制品业", ["product_quality", "pollutant_permit"]),
    ("化工", "化学原料和化学制品制造业", ["hazardous_chemicals", "pollutant_permit", "work_safety"]),
    ("煤业", "煤炭开采和洗选业", ["work_safety", "pollutant_permit", "eia"]), ("石油销售", "零售业", ["refined_oil"]),
    ("酒店管理", "住宿业", ["public_health", "food_business", "special_equipment"]),
    ("文化传媒", "文化艺术业", ["cultural_market", "advertising"]), ("旅行社", "商务服务业", ["tourism_market"]),
    ("电子商务", "互联网和相关服务", ["online_trade", "advertising"]), ("电梯工程", "建筑安装业", ["special_equipment"]),
    ("医药连锁", "零售业", ["product_quality", "price"]), ("物流", "道路运输业", ["work_safety"]),
]
SHOP_LINES = [
    ("餐饮店", "餐饮业", ["food_business"]), ("小吃店", "餐饮业", ["food_business"]), ("面馆", "餐饮业", ["food_business"]),
    ("超市", "零售业", ["food_business", "price"]), ("便利店", "零售业", ["food_business", "prepaid_cards"]),
    ("美容美发店", "居民服务业", ["public_health", "prepaid_cards"]), ("网吧", "互联网上网服务", ["cultural_market"]),
    ("五金店", "零售业", ["price"]), ("服装店", "零售业", ["price"]), ("宾馆", "住宿业", ["public_health"]),
    ("汽车修理部", "机动车维修", ["price"]), ("网店", "互联网零售", ["online_trade"]),
]
COOP_PRODUCTS = ["杂粮种植", "小米种植", "红辣椒种植", "肉羊养殖", "食用菌种植", "中药材种植", "蔬菜种植", "奶牛养殖"]
VILLAGES = ["东街村", "西河村", "南庄村", "北关村", "杏园村", "柳林村", "红崖村", "石门村", "上社村", "下庄村"]
STREETS = ["和平街", "长征街", "七一路", "建设路", "新建路", "健康街", "秀容街", "云中路", "育才街", "光明街"]
PRODUCTS = [("瓶装白酒", ["product_quality", "food_business"]), ("预包装小米", ["product_quality", "food_business"]),
            ("台蘑干制品", ["product_quality"]), ("电动自行车", ["product_quality"]), ("燃气灶具", ["product_quality"])]
PROJECTS = [("住宅小区电梯安装工程", ["special_equipment"]), ("景区提升改造项目", ["tourism_market"]),
            ("农贸市场改造项目", ["food_business"]), ("加油站油气回收改造项目", ["refined_oil", "eia"])]
BEHAVIOURS = [("校园周边食品销售行为", ["food_business"]), ("网络直播营销行为", ["online_trade", "advertising"]),
              ("明码标价执行行为", ["price"]), ("户外广告发布行为", ["advertising"])]
STATUS_MIX = [("active", 80), ("operating", 8), ("deregistered", 5), ("revoked", 3), ("liquidating", 2),
              ("moved_out", 1), ("cancelled", 1)]
RISK_MIX = [("A", 20), ("B", 55), ("C", 18), ("D", 5), (None, 2)]


def _county_name(code: str) -> str:
    return "忻州市" if code == "140902" else XINZHOU_DIVISIONS[code]


class _Maker:
    def __init__(self, seed: int = 140900) -> None:
        self.rng = random.Random(seed)
        self.serial = 0
        self.items: set[tuple] = set()

    def pick(self, weighted):
        items, weights = zip(*weighted)
        return self.rng.choices(items, weights=weights)[0]

    def credit_code(self, prefix: str, division: str) -> str:
        self.serial += 1
        body = "MA" + "".join(self.rng.choice(CREDIT_ALPHABET) for _ in range(3)) + f"{self.serial:04d}"
        return make_credit_code(prefix + division + body)

    def id_number(self, division: str) -> str:
        born = dt.date(1955, 1, 1) + dt.timedelta(days=self.rng.randrange(365 * 45))
        first17 = f"{division}{born:%Y%m%d}{self.rng.randrange(1000):03d}"
        return first17 + id_check_char(first17)

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def address(self, division: str) -> str:
        county = XINZHOU_DIVISIONS[division]
        return f"忻州市{county}{self.rng.choice(STREETS)}{self.rng.randrange(1, 300)}号（演示数据）"


def _row(m: _Maker, n: int) -> dict:
    division = m.pick(COUNTY_WEIGHTS.items())
    county = XINZHOU_DIVISIONS[division]
    kind = m.pick([("enterprise", 45), ("individual", 40), ("farmer_coop", 8), ("other_org", 2), ("item", 5)])
    row = {"region_code": division, "registered_address": m.address(division),
           "registration_status": m.pick(STATUS_MIX)}
    if kind == "enterprise":
        part, industry, libs = m.rng.choice(ENTERPRISE_LINES)
        suffix = m.pick([("有限公司", 80), ("有限责任公司", 17), ("股份有限公司", 3)])
        row.update(object_type="enterprise", credit_code=m.credit_code("91", division), industry=industry,
                   name=f"{_county_name(division)}{m.rng.choice(BRANDS)}{part}{suffix}", legal_rep_name=m.person(),
                   phone=f"0350-{m.rng.randrange(2000000, 8000000)}")
    elif kind == "individual":
        part, industry, libs = m.rng.choice(SHOP_LINES)
        owner = m.person()
        trade = m.rng.choice([owner[0] + "记", m.rng.choice(BRANDS), owner[0] + "家"])
        # Every fourth row is registered under the operator's own name (王小明), as many individual
        # businesses are: the public pages show it masked (王**). Chosen by row number, not by the
        # generator, so the rest of the demo data stays as it was.
        name = owner if n % 4 == 0 else f"{county}{trade}{part}"
        row.update(object_type="individual", credit_code=m.credit_code("92", division), industry=industry,
                   name=name, legal_rep_name=owner, phone="1" + str(m.rng.randrange(3, 9)) +
                   "".join(str(m.rng.randrange(10)) for _ in range(9)))
        if m.rng.random() < 0.6:
            row["legal_rep_id_number"] = m.id_number(division)
    elif kind == "farmer_coop":
        libs = ["food_business"]
        row.update(object_type="farmer_coop", credit_code=m.credit_code("93", division), industry="农业",
                   name=f"{county}{m.rng.choice(VILLAGES)}{m.rng.choice(COOP_PRODUCTS)}专业合作社",
                   legal_rep_name=m.person())
        if m.rng.random() < 0.5:
            row["legal_rep_id_number"] = m.id_number(division)
    elif kind == "other_org":
        libs = ["public_health"]
        row.update(object_type="other_org", credit_code=m.credit_code("52", division), industry="教育",
                   name=f"{county}{m.rng.choice(BRANDS)}幼儿园（民办）", legal_rep_name=m.person())
    else:
        otype = m.pick([("product", 40), ("project", 35), ("behaviour", 25)])
        while True:  # type + name + region identify such an object: keep them distinct
            what, libs = m.rng.choice({"product": PRODUCTS, "project": PROJECTS, "behaviour": BEHAVIOURS}[otype])
            brand = m.rng.choice(BRANDS)
            name = {"product": f"{brand}牌{what}", "project": f"{county}{brand}{what}",
                    "behaviour": f"{county}{brand}{what}"}[otype]
            if (otype, name, division) not in m.items:
                m.items.add((otype, name, division))
                break
        row.update(object_type=otype, name=name, registration_status="active")
    if m.rng.random() < 0.08 and row.get("credit_code"):
        row.update(online=True, shop_url=f"https://shop{n}.example.com/")
        libs = list(dict.fromkeys(libs + ["online_trade"]))
    if row.get("credit_code") and m.rng.random() < 0.05:
        libs = libs + ["joint_key_objects"]
    risk = m.pick(RISK_MIX)
    high = risk in ("C", "D")
    row.update(sub_libraries=libs, risk_class=risk or "未分类",
               abnormal_list=m.rng.random() < (0.25 if high else 0.02),
               serious_violation_list=risk == "D" and m.rng.random() < 0.3,
               complaint_count=m.rng.choice([0] * 6 + [1, 2] + ([3, 5, 8] if high else [0])))
    return row


def load(ctx: dict) -> None:
    """Sub-libraries for the demo departments and 2,000 objects with credit data and check dates."""
    depts = ctx["departments"]
    office = Editor(None, True)
    for dept, code, name in SUB_LIBRARIES:
        sublibs.create_sub_library(office, {"code": code, "name": name, "department_id": depts[dept].id,
                                            "description": f"{name}领域检查对象（演示）"})
    db.session.flush()
    lookup = sublibs.load_lookup()
    maker = _Maker()
    items = [Item(n, normalize(_row(maker, n), lookup)) for n in range(1, 2001)]
    counts = process(items, office, lookup, write=True, seen=MemorySeen())
    bad = [(it.ref, it.issues[0].message) for it in items if it.outcome != "created"]
    if bad:
        raise RuntimeError(f"demo objects refused: {bad[:3]}")
    audit.record(db.session, "registry.objects.bulk_upsert", "object_batch", None,
                 {"source": "demo-data", "counts": counts, **audit_lists(items)})
    today = local_today()
    checks = []
    for it in items:
        owners = sorted({lookup.by_id[i].department_id for i in it.cand.sub_library_ids})
        for dept_id in owners:
            if maker.rng.random() < 0.7:
                checks.append({"object_id": it.object_id, "department_id": dept_id,
                               "last_checked_on": today - dt.timedelta(days=maker.rng.randrange(1, 4 * 365))})
    if checks:
        db.session.execute(insert(ObjectDeptCheck.__table__), checks)
        audit.record(db.session, "registry.demo.checks", "object_batch", None, {"rows": len(checks)})
    ctx["objects"] = {it.ref: it.object_id for it in items}
