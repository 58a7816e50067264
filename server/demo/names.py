"""Deterministic Chinese personal names for demo accounts."""
from __future__ import annotations

import random

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = ["建国", "志强", "海燕", "晓东", "丽娟", "国庆", "俊杰", "文博", "秀英", "桂兰", "宏伟", "春梅",
         "晓明", "婷婷", "立新", "永刚", "玉兰", "振华", "淑珍", "鹏飞", "慧敏", "晨阳", "子涵", "思远",
         "红霞", "建军", "丽华", "雪梅", "志勇", "亚楠", "金凤", "德胜", "敏", "磊", "静", "伟", "勇", "军"]


class NameMaker:
    """Hands out distinct names from a seeded generator."""

    def __init__(self, seed: int = 2026) -> None:
        self.rng = random.Random(seed)
        self.used: set[str] = set()

    def __call__(self) -> str:
        while True:
            name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
            if name not in self.used:
                self.used.add(name)
                return name

    def phone(self) -> str:
        return "13" + "".join(str(self.rng.randrange(10)) for _ in range(9))
