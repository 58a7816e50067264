// Violation leads (Art. 22–23): create one from a finding of a sealed record (the competent
// department suggested, a category, the evidence chosen from the record), follow it on its
// timeline; the receiving department's inbox signs for it, works it, concludes it with the
// measure taken or returns it with a reason; the sender sees the feedback. Rectification orders
// (责令整改) and their follow-up visits live here too.
import { h } from "/shared/dom.js";
import { fmtTime } from "./format.js";
import { getJSON, hasRole, me, postJSON } from "./session.js";
import { confirmAction, download, errorText, fmtDate, section, showView } from "./ui.js";

const CATEGORIES = { case_unit: "本部门案件办理机构", department: "其他有管辖权的部门", judicial: "司法机关（涉嫌犯罪）",
  discipline: "纪检监察机关（涉嫌违纪违法）" };
const RESULTS = { case_filed: "已立案查处", punished: "已作出行政处罚", not_filed: "不予立案", transferred: "已移送其他机关",
  no_violation: "经查不构成违法", other: "其他" };
const ORDER_STATUS = { open: "整改期内", follow_up: "待复查", rectified: "已改正", not_rectified: "逾期未改正" };
/** "签收超期" / "反馈超期" pills of a lead ({receipt, feedback} booleans from the server). */
const overduePills = (o) => [o && o.receipt ? h("span", { class: "pill overdue" }, "签收超期") : null,
  o && o.feedback ? h("span", { class: "pill overdue" }, "反馈超期") : null];
const MEDIA_KINDS = { photo: "照片", video: "视频", audio: "录音" };

let departments = null;
async function deptNames() {
  if (!departments) departments = Object.fromEntries((await getJSON("/api/v1/departments")).map((d) => [d.id, d.name]));
  return departments;
}

/** On a record's finding: 移送线索 and 责令整改, for the reviewers the server lets act on it (those of
 *  the initiating department or of the finding's own): the buttons appear once it has said so. */
export function leadButton(finding, d, thumbs) {
  if (!hasRole("reviewer", "dept_admin")) return null;
  const span = h("span", { class: "lead-actions" });
  getJSON(`/api/v1/leads/suggestion?finding_id=${finding.id}`).then(() => span.replaceChildren(" ",
    h("button", { type: "button", class: "comment-btn", "data-lead-from": finding.id, onclick: () => createLead(finding, d, thumbs) }, "移送线索"), " ",
    h("button", { type: "button", class: "comment-btn", "data-order-from": finding.id, onclick: () => createOrder(finding) }, "责令整改")))
    .catch(() => {});  // another department's finding: nothing to offer
  return span;
}

async function createLead(finding, d, thumbs) {
  let sug;
  try { sug = await getJSON(`/api/v1/leads/suggestion?finding_id=${finding.id}`); } catch (e) { alertIn(e); return; }
  const names = await deptNames();
  const media = d.sheet.media.filter((m) => m.kind !== "signature");
  const chosen = new Set(sug.media_ids);
  const err = h("p", { class: "error", role: "alert" });
  const dept = h("select", { id: "lead-dept" }, Object.entries(names).map(([id, n]) =>
    h("option", { value: id, selected: Number(id) === sug.department_id }, n + (Number(id) === sug.department_id ? "（建议）" : ""))));
  const cat = h("select", { id: "lead-category" }, Object.entries(CATEGORIES).map(([k, v]) => h("option", { value: k, selected: k === sug.category }, v)));
  const summary = h("textarea", { id: "lead-summary", rows: 3 }, sug.summary || "");
  const basis = h("input", { id: "lead-basis", value: sug.legal_basis || "" });
  const evidence = media.map((m, i) => h("label", { class: "evidence-pick" },
    h("input", { type: "checkbox", value: m.media_id, checked: chosen.has(m.media_id),
      onchange: (ev) => (ev.target.checked ? chosen.add(m.media_id) : chosen.delete(m.media_id)) }),
    ` ${MEDIA_KINDS[m.kind] || "资料"} ${i + 1}（${m.target.type === "finding" ? "本问题" : m.target.type === "answer" ? "检查要点" : "记录"}）`,
    thumbs(d.sheet, [m])));
  const dlg = h("dialog", { class: "confirm wide", id: "lead-dialog" }, h("h2", {}, "移送违法线索"),
    h("p", {}, `问题：${finding.description}`),
    !sug.evidence.complete ? h("p", { class: "error" }, "还有照片或视频尚未上传，证据到齐后才能移送。") : null,
    h("div", { class: "form" },
      h("div", { class: "row" }, h("label", {}, "接收部门", dept), h("label", {}, "移送类别", cat)),
      h("label", {}, "线索摘要", summary), h("label", {}, "法律依据", basis),
      h("div", {}, h("div", { class: "muted" }, "随线索移送的证据（勾选）"), h("div", { class: "cal-days" }, evidence))),
    err,
    h("div", { class: "dialog-buttons" },
      h("button", { type: "button", onclick: () => dlg.close() }, "取消"),
      h("button", { type: "button", class: "primary", id: "lead-submit", onclick: async () => {
        err.textContent = "";
        try {
          const lead = await postJSON("/api/v1/leads", { finding_id: finding.id, category: cat.value, department_id: Number(dept.value),
            summary: summary.value.trim() || null, legal_basis: basis.value.trim() || null, media_ids: [...chosen] });
          dlg.close();
          location.hash = `#lead/${lead.id}`;
        } catch (e) { err.textContent = errorText(e); }
      } }, "移送")));
  dlg.addEventListener("close", () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
}

async function createOrder(finding) {
  const term = await confirmAction({ title: "责令整改", ok: "下达整改通知", reason: "整改期限：工作日数，或日期（如 2027-01-15）", minLength: 1,
    text: `问题：${finding.description}。期满后系统安排复查，复查结论为已改正的，公示结果由 A 改为 E。` });
  if (!term) return;
  const body = /^\d{4}-\d{2}-\d{2}$/.test(term) ? { deadline_on: term } : { deadline_workdays: Number(term) };
  if (!body.deadline_on && !(body.deadline_workdays >= 1)) { alertIn(new Error("整改期限请填写工作日数或日期。")); return; }
  try {
    await postJSON("/api/v1/leads/rectifications", { finding_id: finding.id, ...body });
    location.hash = "#leads";
  } catch (e) { alertIn(e); }
}

function alertIn(e) {
  const p = document.querySelector("#act-error");
  if (p) p.textContent = errorText(e);
}

/** The leads screen: received (the receiving department's inbox), sent, and rectification orders. */
export async function loadLeads() {
  const view = section("leads");
  showView("leads");
  const names = await deptNames();
  const [received, sent, orders, overview] = await Promise.all([getJSON("/api/v1/leads?direction=received&limit=100"),
    getJSON("/api/v1/leads?direction=sent&limit=100"), getJSON("/api/v1/leads/rectifications?limit=100"),
    getJSON("/api/v1/leads/dashboard")]);
  const everyone = Boolean(me.department && me.department.is_office) || (hasRole("office_admin", "auditor") && !hasRole("reviewer", "dept_admin"));
  const table = (rows, id, who) => (rows.items.length ? h("table", { class: "grid", id },
    h("thead", {}, h("tr", {}, ["编号", "线索摘要", "类别", { sender: "移送部门", receiver: "接收部门", both: "移送部门 → 接收部门" }[who],
      "状态", "签收期限", "反馈期限"].map((t) => h("th", {}, t)))),
    h("tbody", {}, rows.items.map((l) => h("tr", { "data-lead": l.id, class: "clickable", onclick: () => { location.hash = `#lead/${l.id}`; } },
      h("td", {}, `线索 ${l.id}`), h("td", {}, l.summary), h("td", {}, l.category_label),
      h("td", {}, who === "both" ? `${names[l.sender_department_id] || ""} → ${names[l.receiver_department_id] || ""}`
        : names[who === "sender" ? l.sender_department_id : l.receiver_department_id] || ""),
      h("td", {}, h("span", { class: "pill" }, l.status_label), " ", overduePills(l.overdue)),
      h("td", {}, fmtDate(l.receipt_due_on)), h("td", {}, fmtDate(l.feedback_due_on))))))
    : h("p", { class: "muted" }, "无"));
  const msg = h("p", { class: "error", role: "alert", id: "leads-error" });
  view.replaceChildren(...[h("div", { class: "toolbar" }, h("h1", {}, "线索移送")), msg, overviewCard(overview),
    // The office and auditors see every department's leads (both lists would be the same): one list.
    ...(everyone ? [h("div", { class: "card" }, h("h2", {}, "各部门的线索"), table(received, "leads-all", "both"))] : [
      h("div", { class: "card" }, h("h2", {}, "收到的线索（本部门待签收、办理）"), table(received, "leads-received", "sender")),
      h("div", { class: "card" }, h("h2", {}, "本部门移送的线索"), table(sent, "leads-sent", "receiver"))]),
    h("div", { class: "card" }, h("h2", {}, "责令整改"), orders.items.length ? h("table", { class: "grid", id: "orders" },
      h("thead", {}, h("tr", {}, ["编号", "检查对象与问题", "整改期限", "状态", "复查", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, orders.items.map((o) => h("tr", { "data-order": o.id },
        h("td", {}, `整改 ${o.id}`),
        h("td", {}, h("a", { href: `#record/${o.visit_id}` }, o.object_name || "查看检查记录"), h("div", { class: "dept" }, o.finding_description || "")),
        h("td", {}, fmtDate(o.deadline_on)), h("td", {}, ORDER_STATUS[o.status] || o.status),
        h("td", {}, followupText(o)),
        h("td", {}, ["open", "follow_up"].includes(o.status) && hasRole("reviewer", "dept_admin")
          ? orderDecision(o, msg) : decided(o))))))
      : h("p", { class: "muted" }, "无"))].filter(Boolean));
}

/** The follow-up visit: scheduled with the team, or sealed (its record opens on the desk). */
function followupText(o) {
  const f = o.followup;
  if (!f) return o.status === "open" ? `期满（${fmtDate(o.deadline_on)}）后安排` : "—";
  if (!f.sealed) return `已安排检查组复查${f.scheduled_date ? `（${f.scheduled_date}）` : ""}，待完成`;
  return h("a", { href: `#record/${f.visit_id}` }, "复查记录（已封存）");
}

/** What was decided on an order: the note, and the lead a failed rectification went on as. */
function decided(o) {
  if (!["rectified", "not_rectified"].includes(o.status)) return null;
  return h("span", { class: "muted" }, o.decision_note || "", o.lead_id ? [" ", h("a", { href: `#lead/${o.lead_id}` }, `已移送：线索 ${o.lead_id}`)] : null);
}

/** Per department: leads received and sent, open, overdue (the reminders' subject), concluded. */
function overviewCard(rows) {
  const busy = rows.filter((r) => r.received.open + r.received.closed + r.sent.open + r.sent.closed > 0);
  if (!busy.length) return null;
  const cols = ["部门", "收到·未办结", "收到·签收超期", "收到·反馈超期", "收到·已办结", "移送·未办结", "移送·投递失败", "移送·已办结"];
  return h("div", { class: "card" }, h("h2", {}, "线索概况（超期的已自动提醒接收部门）"), h("table", { class: "grid", id: "lead-overview" },
    h("thead", {}, h("tr", {}, cols.map((t, i) => h("th", { class: i ? "num" : null }, t)))),
    h("tbody", {}, busy.map((r) => h("tr", {}, h("td", {}, r.department_name),
      [r.received.open, r.received.overdue_receipt, r.received.overdue_feedback, r.received.concluded, r.sent.open,
        r.sent.undelivered, r.sent.concluded].map((n) => h("td", { class: "num" }, n)))))));
}

/** The decision on an order, before its deadline (the business showed it has put things right) or
 *  after the follow-up visit: rectified (E replaces A in the result), or not, which goes on as a
 *  lead to the own case-handling unit or the competent department. */
function orderDecision(o, msg) {
  const decide = async (rectified) => {
    msg.textContent = "";
    try {
      let lead = null;
      let extra = null;
      if (!rectified) {
        const [sug, names] = await Promise.all([getJSON(`/api/v1/leads/suggestion?finding_id=${o.finding_id}`), deptNames()]);
        const cat = h("select", { id: "order-lead-category" }, Object.entries(CATEGORIES).map(([k, v]) => h("option", { value: k, selected: k === sug.category }, v)));
        const dept = h("select", { id: "order-lead-dept" }, Object.entries(names).map(([id, n]) =>
          h("option", { value: id, selected: Number(id) === sug.department_id }, n + (Number(id) === sug.department_id ? "（建议）" : ""))));
        extra = h("div", { class: "form order-lead" }, h("div", { class: "row" }, h("label", {}, "移送给", dept), h("label", {}, "移送类别", cat)));
        lead = () => ({ category: cat.value, department_id: Number(dept.value) });
      }
      const note = await confirmAction({ title: rectified ? "复查结论：已改正" : "复查结论：逾期未改正", reason: "复查说明", extra,
        text: rectified ? "检查结果将由“A 发现问题待后续处理”更正为“E 发现问题经责令已改正”；已公示的，公示结果随之更正。"
          : "逾期未改正的，作为违法线索移送本部门案件办理机构或有管辖权的部门。", ok: rectified ? "确认已改正" : "确认并移送" });
      if (!note) return;
      await postJSON(`/api/v1/leads/rectifications/${o.id}/decision`, { rectified, note, ...(lead ? { lead: lead() } : {}) });
      await loadLeads();
    } catch (e) { msg.textContent = errorText(e); }
  };
  return h("span", {}, h("button", { type: "button", "data-rectified": o.id, onclick: () => decide(true) }, "已改正"), " ",
    h("button", { type: "button", "data-not-rectified": o.id, onclick: () => decide(false) }, "未改正"));
}

/** One lead: its facts, the feedback, the timeline, and the receiving department's steps. */
export async function openLead(id) {
  const view = section("lead");
  showView("lead");
  const names = await deptNames();
  const msg = h("p", { class: "error", role: "alert", id: "lead-error" });
  let lead, steps;
  try {
    [lead, steps] = await Promise.all([getJSON(`/api/v1/leads/${id}`), getJSON(`/api/v1/leads/${id}/timeline`)]);
  } catch (e) { view.replaceChildren(msg); msg.textContent = errorText(e); return; }
  const receiver = me.department && me.department.id === lead.receiver_department_id && hasRole("dept_admin", "dept_leader", "reviewer");
  const readsRecord = hasRole("office_admin", "auditor") || (me.department && me.department.id === lead.sender_department_id);
  const step = (path, body) => async () => {
    msg.textContent = "";
    try { await postJSON(`/api/v1/leads/${id}/${path}`, await body()); await openLead(id); } catch (e) { if (e) msg.textContent = errorText(e); }
  };
  const ask = (opts) => async () => { const v = await confirmAction(opts); if (!v) throw null; return v; };
  const actions = [];
  if (receiver && lead.status === "sent") {
    actions.push(h("button", { type: "button", class: "primary", id: "lead-receive",
      onclick: step("receipt", async () => ({ handler_name: await ask({ title: "签收线索", reason: "承办人", ok: "签收", text: lead.summary })() })) }, "签收"));
  }
  if (receiver && lead.status === "received") {
    actions.push(h("button", { type: "button", id: "lead-progress", onclick: step("progress", async () =>
      ({ note: await ask({ title: "开始办理", reason: "办理说明", ok: "标记为办理中", text: lead.summary })() })) }, "标记为办理中"));
  }
  if (receiver && ["received", "in_progress"].includes(lead.status)) {
    actions.push(h("button", { type: "button", class: "primary", id: "lead-conclude", onclick: () => concludeForm(id, msg) }, "办结并反馈"));
  }
  if (receiver && ["sent", "received", "in_progress"].includes(lead.status)) {
    actions.push(h("button", { type: "button", id: "lead-return", onclick: step("return", async () =>
      ({ reason: await ask({ title: "退回线索", reason: "退回理由", ok: "退回", danger: true, text: "退回后由移送部门另行处理。" })() })) }, "退回"));
  }
  const feedback = lead.status === "concluded" ? h("div", { class: "card", id: "lead-feedback" }, h("h2", {}, "办理结果反馈"),
    h("dl", { class: "facts" },
      h("dt", {}, "处理结果"), h("dd", {}, lead.result_label || "—"),
      h("dt", {}, "处理措施"), h("dd", {}, lead.result_note || "—"),
      h("dt", {}, "决定书文号"), h("dd", {}, lead.decision_no || "—"),
      h("dt", {}, "决定日期"), h("dd", {}, fmtDate(lead.decided_on)),
      h("dt", {}, "严重违法失信"), h("dd", {}, lead.serious ? "是" : "否")))
    : lead.status === "returned" ? h("div", { class: "card", id: "lead-feedback" }, h("h2", {}, "已退回"), h("p", {}, `退回理由：${lead.return_reason}`)) : null;
  view.replaceChildren(
    h("div", { class: "toolbar" }, h("button", { type: "button", class: "link", onclick: () => { location.hash = "#leads"; } }, "← 返回线索列表"),
      h("h1", {}, `线索 ${lead.id}`), h("span", { class: "pill", id: "lead-status" }, lead.status_label),
      overduePills(lead.overdue)),
    h("div", { class: "columns" },
      h("div", {},
        h("div", { class: "card" }, h("h2", {}, "线索内容"), h("dl", { class: "facts" },
          h("dt", {}, "检查对象"), h("dd", {}, lead.object_name || "—"),
          h("dt", {}, "摘要"), h("dd", {}, lead.summary),
          h("dt", {}, "法律依据"), h("dd", {}, lead.legal_basis || "—"),
          h("dt", {}, "类别"), h("dd", {}, lead.category_label),
          h("dt", {}, "移送部门"), h("dd", {}, names[lead.sender_department_id] || ""),
          h("dt", {}, "接收部门"), h("dd", {}, names[lead.receiver_department_id] || ""),
          h("dt", {}, "签收期限"), h("dd", {}, fmtDate(lead.receipt_due_on)),
          h("dt", {}, "反馈期限"), h("dd", {}, fmtDate(lead.feedback_due_on)),
          h("dt", {}, "承办人"), h("dd", {}, lead.handler_name || "—"),
          h("dt", {}, "检查记录"), h("dd", {},
            h("button", { type: "button", id: "lead-pdf", onclick: () => download(lead.evidence.record.pdf, `线索${lead.id}-检查记录表.pdf`)
              .catch((e) => { msg.textContent = errorText(e); }) }, "下载检查记录表 PDF"),
            // The record itself opens on the desk for the departments of the check (the sender always is one).
            readsRecord ? [" ", h("a", { href: `#record/${lead.visit_id}` }, "在工作台查看检查记录")] : null),
          h("dt", {}, "随附证据"), h("dd", { id: "lead-evidence" }, evidenceText(lead.evidence)))),
        feedback,
        h("div", { class: "card" }, h("h2", {}, "办理过程"), h("ol", { class: "timeline", id: "lead-timeline" }, steps.map((s) =>
          h("li", {}, h("div", { class: "when" }, fmtTime(s.at), s.department_id ? ` · ${names[s.department_id] || ""}` : ""),
            s.label, s.data && (s.data.note || s.data.reason) ? `：${s.data.note || s.data.reason}` : ""))))),
      h("aside", { class: "side-col" }, h("div", { class: "card actions" }, h("h2", {}, receiver ? "本部门办理" : "办理状态"),
        actions.length ? h("div", { class: "buttons" }, actions) : h("p", { class: "muted" },
          lead.status === "concluded" ? "已办结，办理结果见左侧“办理结果反馈”。"
            : lead.status === "returned" ? "接收部门已退回，理由见左侧。"
            : "由接收部门签收、办理并反馈；反馈到达后显示在左侧。"), msg))));
}

/** The evidence sent with a lead: the sealed record (its hash) and the photos chosen, by fingerprint. */
function evidenceText(ev) {
  const media = (ev && ev.media) || [];
  const record = ev && ev.record ? `检查记录（封存于 ${fmtTime(ev.record.sealed_at)}，内容哈希 ${ev.record.content_sha256.slice(0, 16)}…）` : "";
  return [record, media.length ? h("div", {}, `${media.map((m) => MEDIA_KINDS[m.kind] || "资料").join("、")}共 ${media.length} 份（清单见记录表 PDF），`
    + `SHA-256：${media.map((m) => `${m.sha256.slice(0, 12)}…`).join("、")}`) : h("div", { class: "muted" }, "未附照片或视频")];
}

function concludeForm(id, msg) {
  const result = h("select", { id: "conclude-result" }, Object.entries(RESULTS).map(([k, v]) => h("option", { value: k }, v)));
  const note = h("textarea", { id: "conclude-note", rows: 3, placeholder: "采取的措施、处理情况" });
  const no = h("input", { id: "conclude-no", placeholder: "如 忻环罚〔2026〕12 号" });
  const on = h("input", { id: "conclude-on", type: "date" });
  const serious = h("input", { id: "conclude-serious", type: "checkbox" });
  const err = h("p", { class: "error", role: "alert" });
  const dlg = h("dialog", { class: "confirm wide", id: "conclude-dialog" }, h("h2", {}, "办结并反馈"),
    h("div", { class: "form" }, h("label", {}, "处理结果", result), h("label", {}, "采取的措施", note),
      h("div", { class: "row" }, h("label", {}, "决定书文号", no), h("label", {}, "决定日期", on)),
      h("label", {}, serious, " 属严重违法失信情形")), err,
    h("div", { class: "dialog-buttons" }, h("button", { type: "button", onclick: () => dlg.close() }, "取消"),
      h("button", { type: "button", class: "primary", id: "conclude-submit", onclick: async () => {
        if (note.value.trim().length < 2) { err.textContent = "请填写采取的措施。"; return; }
        try {
          await postJSON(`/api/v1/leads/${id}/conclusion`, { result: result.value, note: note.value.trim(),
            decision_no: no.value.trim() || null, decided_on: on.value || null, serious: serious.checked });
          dlg.close();
          await openLead(id);
        } catch (e) { err.textContent = errorText(e); }
      } }, "提交反馈")));
  dlg.addEventListener("close", () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  msg.textContent = "";
}
