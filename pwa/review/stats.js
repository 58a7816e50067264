// The dashboard's figures per county (the object's region code) and per inspector.
import { h } from "/shared/dom.js";

export const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 1000) / 10}%`);

function table(id, title, first, rows, key) {
  return h("div", { class: "card" }, h("h2", {}, title), rows.length ? h("table", { class: "grid", id },
    h("thead", {}, h("tr", {}, [first, "抽取对象", "已封存", "已录入", "录入率", "按时录入率", "截止未知"].map((t) => h("th", {}, t)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, h("td", {}, key(r)), h("td", { class: "num" }, r.visits), h("td", { class: "num" }, r.sealed),
      h("td", { class: "num" }, r.entered), h("td", { class: "num" }, pct(r.entry_rate)), h("td", { class: "num" }, pct(r.on_time_rate)),
      h("td", { class: "num" }, r.entered_deadline_unknown)))))
    : h("p", { class: "muted" }, "无"));
}

export function breakdownCards(stats) {
  return h("div", { class: "charts", id: "breakdowns" },
    table("by-region", "按县（区）", "行政区划代码", stats.regions || [], (r) => r.region_code),
    table("by-inspector", "按检查人员", "检查人员", stats.inspectors || [], (r) => r.name));
}
