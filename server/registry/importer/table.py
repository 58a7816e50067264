"""What every reader produces: a table with mapped headers and a stream of numbered rows."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

from ...errors import Invalid
from .columns import field_for

HEADER_SEARCH_ROWS = 10


class FileProblem(Invalid):
    """The file cannot be read as a table (422)."""

    code, title = "import_file_unreadable", "文件无法读取"


@dataclass
class Table:
    format: str
    headers: list[str]
    header_row: int
    fields: dict[int, str]
    ignored: list[str]
    rows: Iterator[tuple[int, list]]
    estimate: int | None = None
    _close: Callable[[], None] = field(default=lambda: None, repr=False)

    def close(self) -> None:
        self._close()


def find_header(numbered: Iterator[tuple[int, list]]) -> tuple[list[str], int]:
    """The header is the first of the first rows that has a 名称 column (titles above it are skipped)."""
    for _ in range(HEADER_SEARCH_ROWS):
        try:
            number, values = next(numbered)
        except StopIteration:
            break
        if any(field_for(v) == "name" for v in values):
            return [str(v).strip() for v in values], number
    raise FileProblem("没有找到表头：文件前 10 行中没有“名称”列（也可写作“企业名称”等）。请使用导入模板。",
                      code="import_header_missing")


def data_rows(numbered: Iterator[tuple[int, list]], width: int) -> Iterator[tuple[int, list]]:
    """Rows padded/trimmed to the header's width; completely empty rows are skipped."""
    for number, values in numbered:
        values = list(values[:width]) + [""] * (width - len(values))
        if any(str(v).strip() for v in values):
            yield number, values
