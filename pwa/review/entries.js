// Per-department review entries of a joint record (when the server sends `entries`: each
// participating department reviews its own part). Tolerant of the shape: department name,
// status and result codes in words where present.
import { h } from "/shared/dom.js";
import { REVIEW_STATUS_LABELS, resultText } from "./format.js";

export function entriesCard(d) {
  const list = Array.isArray(d.entries) ? d.entries : [];
  if (!list.length) return [];
  return [h("h2", {}, "各部门审核"), h("ul", { class: "comments", id: "d-entries" }, list.map((e) => h("li", {},
    h("div", { class: "target" }, e.department_name || e.department || ""),
    (e.status_label || REVIEW_STATUS_LABELS[e.status] || ""),
    e.result_labels ? `：${resultText(e.result_labels)}` : "")))];
}
