// Objections (异议) to published results: the publishing department reads what the business wrote
// and accepts it (the result corrected; the public row marked 已更正 with the date) or rejects it
// with reasons. The filer follows it on the public page with a reference number.
import { h } from "/shared/dom.js";
import { fmtTime } from "./format.js";
import { getJSON, hasRole, postJSON } from "./session.js";
import { confirmAction, errorText, fmtDate, section, showView } from "./ui.js";

export async function loadObjections() {
  const view = section("objections");
  showView("objections");
  const msg = h("p", { class: "error", role: "alert", id: "objection-error" });
  const { items, result_codes: choices } = await getJSON("/api/v1/objections");
  const label = Object.fromEntries(choices.map((c) => [c.code, `${c.code} ${c.label}`]));
  const decider = hasRole("reviewer", "dept_admin");
  const run = (fn) => async () => { msg.textContent = ""; try { if (await fn() !== false) await loadObjections(); } catch (e) { msg.textContent = errorText(e); } };
  const accept = (o) => run(async () => {
    const boxes = choices.map((c) => h("label", { class: "evidence-pick" },
      h("input", { type: "checkbox", value: c.code, checked: o.result_codes.includes(c.code) }), ` ${c.code} ${c.label}`));
    const reason = await confirmAction({ title: `异议成立，更正“${o.object_name}”的检查结果`, extra: boxes, reason: "更正理由", ok: "更正并公示",
      text: `当前公示结果：${o.result_codes.map((c) => label[c]).join("；")}。勾选更正后的结果；公示结果将标注“已更正”及日期。` });
    if (!reason) return false;
    const codes = boxes.map((b) => b.firstChild).filter((i) => i.checked).map((i) => i.value);
    await postJSON(`/api/v1/objections/${o.id}/accept`, { result_codes: codes, reason });
  });
  const reject = (o) => run(async () => {
    const reason = await confirmAction({ title: "异议不成立", reason: "不予采纳的理由", ok: "不予采纳", danger: true,
      text: `理由将在公示页面凭异议编号 ${o.reference} 查询时显示给异议人。` });
    if (!reason) return false;
    await postJSON(`/api/v1/objections/${o.id}/reject`, { reason });
  });
  view.replaceChildren(h("div", { class: "toolbar" }, h("h1", {}, "异议处理"), h("span", { class: "spacer" }),
    h("a", { href: "/public/objections", target: "_blank", rel: "noopener" }, "公示页面的异议查询")), msg,
  h("div", { class: "card" }, items.length ? h("table", { class: "grid", id: "objections" },
    h("thead", {}, h("tr", {}, ["异议编号", "检查对象", "异议人与联系方式", "异议内容", "公示结果", "状态", ""].map((t) => h("th", {}, t)))),
    h("tbody", {}, items.map((o) => h("tr", { "data-objection": o.id },
      h("td", {}, o.reference, h("div", { class: "muted" }, fmtTime(o.filed_at))),
      h("td", {}, h("a", { href: `#record/${o.visit_id}` }, o.object_name), h("div", { class: "muted" }, o.task_name)),
      h("td", {}, o.name, h("div", { class: "muted" }, o.contact)),
      h("td", {}, o.text),
      h("td", { class: "result" }, o.result, o.corrected_on ? h("div", { class: "pill warn" }, `${o.corrected_on} 已更正`) : null),
      h("td", {}, o.status_label, o.decision_reason ? h("div", { class: "muted" }, `${o.decision_reason}（${o.decided_by || ""}，${fmtDate(o.decided_at)}）`) : null),
      h("td", {}, o.status === "filed" && decider ? [
        h("button", { type: "button", class: "primary", "data-accept": o.id, onclick: accept(o) }, "成立，更正"), " ",
        h("button", { type: "button", "data-reject": o.id, onclick: reject(o) }, "不予采纳")] : null)))))
    : h("p", { class: "muted" }, "没有收到异议。")));
}
