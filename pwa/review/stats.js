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

// Per task: each counted department's own entries of its records.
function taskTable(rows) {
  const cols = ["任务", "抽取对象", "已封存", "已录入", "完成率（按时录入）", "按时录入率", "临近截止", "已逾期"];
  return h("div", { class: "card wide" }, h("h2", {}, "按任务"), rows.length ? h("table", { class: "grid", id: "by-task" },
    h("thead", {}, h("tr", {}, cols.map((t, i) => h("th", { class: i ? "num" : null }, t)))),
    h("tbody", {}, rows.map((t) => h("tr", { "data-task": t.task_id },
      h("td", {}, t.task_name, h("div", { class: "dept" }, `${t.task_code} · ${t.department}发起`)),
      [t.visits, t.sealed, t.entered, pct(t.completion_rate), pct(t.on_time_rate), t.due_soon, t.overdue].map((n) => h("td", { class: "num" }, n))))))
    : h("p", { class: "muted" }, "无"));
}

export function breakdownCards(stats) {
  return h("div", { class: "charts", id: "breakdowns" }, taskTable(stats.tasks || []),
    table("by-region", "按县（市、区）", "县（市、区）", stats.regions || [], (r) => r.region_name || r.region_code),
    table("by-inspector", "按检查人员", "检查人员", stats.inspectors || [], (r) => r.name));
}
