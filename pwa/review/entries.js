// Per-department entries of a joint record (谁检查、谁录入): each department that checked enters
// the result of its own items; the initiating department publishes the joint summary.
// Kept apart from app.js: the detail screen shows `entriesCard(detail)` and asks `mayDecide`.
import { h } from "/shared/dom.js";
import { REVIEW_STATUS_LABELS } from "./format.js";

const OPEN = ["pending", "returned", "evidence_requested"];

// The reader's own entry is open and theirs to decide.
export function mayDecide(detail) {
  return Boolean(detail.review && detail.review.writable && OPEN.includes(detail.review.status));
}

// "市场监管局录入" under the task name in the queue, for a joint record only.
export function queueDepartment(row) {
  return row.joint ? [h("br"), h("span", { class: "dept", "data-dept": row.department }, `${row.department_name}录入`)] : null;
}

// One line per department: its items, state, deadline and entered codes; then the joint summary
// with its publish button (`onSummary`) for the initiating department's reviewer.
export function entriesCard(detail, onSummary) {
  const entries = detail.entries || [];
  if (entries.length < 2) return null;
  const mine = detail.review && detail.review.writable ? detail.review.department : null;
  const rows = entries.map((e) => h("tr", { "data-dept": e.department, class: e.department === mine ? "mine" : "" },
    h("td", {}, e.department_name, e.initiating ? "（发起）" : "", e.department === mine ? h("strong", {}, " · 本部门") : ""),
    h("td", {}, e.items.join("、")),
    h("td", {}, h("span", { class: "pill" }, REVIEW_STATUS_LABELS[e.status] || e.status)),
    h("td", {}, e.due_on || "未知"),
    h("td", {}, OPEN.includes(e.status) ? "—" : e.result_labels.map((l) => `${l.code} ${l.label}`).join("；"))));
  const s = detail.summary;
  const name = (code) => (entries.find((e) => e.department === code) || {}).department_name || code;
  const summary = s.published ? `联合检查汇总已公示：${s.result}`
    : s.pending_departments.length ? `各部门录入后，由发起部门公示联合检查汇总（尚待：${s.pending_departments.map(name).join("、")}）`
      : "各部门均已录入，发起部门可公示联合检查汇总。";
  const initiating = entries.find((e) => e.initiating);
  const button = mine && initiating && initiating.department === mine && s.publishable
    ? h("button", { type: "button", id: "act-summary", onclick: onSummary }, "公示联合检查汇总") : null;
  return h("div", { class: "card", id: "d-entries" }, h("h2", {}, "各部门录入（谁检查、谁录入）"),
    h("table", { class: "grid" }, h("thead", {}, h("tr", {}, h("th", {}, "部门"), h("th", {}, "负责事项"), h("th", {}, "状态"),
      h("th", {}, "录入截止"), h("th", {}, "录入结果"))), h("tbody", {}, rows)),
    h("p", { id: "d-summary" }, summary, " ", button));
}

// The result codes of the reader's own entry, in words, to approve with: the proposed ones ticked;
// "1 未发现问题" excludes every other code. `codes()`: the ticked ones; `changed()`: whether they
// differ from the proposal (only then are they sent); `check()`: what is wrong, or nothing.
export function codePicker(review) {
  const proposed = (review.proposed_labels || []).map((l) => l.code);
  const boxes = (review.result_choices || []).map((c) => h("input", { type: "checkbox", value: c.code, checked: proposed.includes(c.code),
    onchange: (ev) => {
      if (!ev.target.checked) return;
      for (const b of boxes) if ((ev.target.value === NO_PROBLEM) !== (b.value === NO_PROBLEM)) b.checked = false;
    } }));
  const codes = () => boxes.filter((b) => b.checked).map((b) => b.value);
  const element = h("fieldset", { class: "code-picker", id: "approve-codes" }, h("legend", {}, "录入的检查结果（可更改）"),
    boxes.map((b, i) => h("label", { class: "evidence-pick", "data-code": b.value }, b, ` ${review.result_choices[i].code} ${review.result_choices[i].label}`)));
  return {
    element, codes,
    changed: () => codes().join() !== proposed.join(),
    check: () => (codes().length ? null : "请至少选择一项检查结果。"),
  };
}
const NO_PROBLEM = "1";
