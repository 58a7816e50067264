// Publication (Art. 20(3)): publish an entered result, ask for it to be withheld (with a reason),
// the department leader's decision, the department's published results with their revisions,
// and the CSV for the national publicity system.
import { h } from "/shared/dom.js";
import { resultText } from "./format.js";
import { queueDepartment } from "./entries.js";
import { getJSON, hasRole, me, postJSON } from "./session.js";
import { confirmAction, download, errorText, fmtDate, section, showView } from "./ui.js";

const WITHHOLD_STATUS = { requested: "待领导审批", approved: "已批准不予公示", rejected: "已驳回（应予公示）" };

/** The side card of a record: what happened to its publication and the buttons that apply. */
export function publicationCard(d, reload) {
  const msg = h("p", { class: "error", role: "alert", id: "pub-error" });
  // The reader's department's own entry (谁检查、谁录入): it publishes or withholds only that one.
  const own = d.review && d.review.writable ? d.review : null;
  const status = d.review ? d.review.status : null;
  const name = d.sheet.business.name;
  const joint = (d.entries || []).length > 1;
  const dept = joint && d.review ? `${d.review.department_name}的` : "";
  const reviewer = hasRole("reviewer", "dept_admin");
  const mine = (d.withholdings || []).filter((w) => !d.review || w.department === d.review.department);
  const pending = mine.find((w) => w.status === "requested");
  const out = [h("h2", {}, joint ? `公示（${d.review ? d.review.department_name : ""}）` : "公示")];
  if (d.published) {
    out.push(h("p", { id: "pub-state" }, `已于 ${fmtDate(d.published.published_at)} 公示：${d.published.result}`,
      d.published.revised_on ? h("span", { class: "pill warn" }, `${d.published.revised_on} 更正`) : null));
  } else if (status === "withheld") {
    out.push(h("p", { id: "pub-state" }, "经部门领导批准不予公示。"));
  } else if (status === "approved") {
    out.push(h("p", { id: "pub-state" }, pending ? "不予公示申请待部门领导审批。" : "结果已录入，尚未公示。"));
  } else {
    out.push(h("p", { id: "pub-state", class: "muted" }, "审核通过并录入结果后才能公示。"));
  }
  for (const w of d.withholdings || []) {
    out.push(h("div", { class: "muted", "data-withholding": w.id },
      `${joint ? w.department_name : ""}不予公示申请（${w.requested_by || ""}，${fmtDate(w.requested_at)}）：${w.reason} — ${WITHHOLD_STATUS[w.status]}`,
      w.decision_note ? `；审批意见：${w.decision_note}` : ""));
  }
  const act = async (fn) => { msg.textContent = ""; try { await fn(); await reload(); } catch (e) { msg.textContent = errorText(e); } };
  if (own && status === "approved" && !pending && reviewer) {
    out.push(h("div", { class: "buttons" },
      h("button", { type: "button", class: "primary", id: "act-publish", onclick: () => act(async () => {
        if (!await confirmAction({ title: "确认公示", ok: "公示",
          text: `“${name}”${dept}检查结果（${resultText(own.result_labels)}）将在公示系统向社会公开。公示后不能撤回，只能更正。` })) return;
        await postJSON(`/api/v1/reviews/${d.visit.id}/publish`, {});
      }) }, joint ? "公示本部门结果" : "公示结果"),
      h("button", { type: "button", id: "act-withhold", onclick: () => act(async () => {
        const reason = await confirmAction({ title: "申请不予公示", ok: "提交申请", reason: "不予公示的理由",
          text: "依法不予公示的，须经部门领导批准。" });
        if (!reason) return;
        await postJSON(`/api/v1/reviews/${d.visit.id}/withhold`, { reason });
      }) }, "申请不予公示")));
  }
  // A leader decides the requests about their own department's entry only.
  const asked = (d.withholdings || []).find((w) => w.status === "requested" && me.department && w.department_id === me.department.id);
  if (asked && hasRole("dept_leader")) out.push(decisionButtons(asked, reload, (e) => { msg.textContent = errorText(e); }));
  out.push(msg);
  return out;
}

/** A leader's approve / reject of one withholding request, each confirmed. */
function decisionButtons(w, done, failed) {
  const decide = async (approve) => {
    const note = await confirmAction({ title: approve ? "批准不予公示" : "驳回不予公示申请",
      text: `“${w.object_name}”：${w.reason}`, reason: approve ? "审批意见" : "驳回理由", ok: approve ? "批准" : "驳回",
      danger: !approve });
    if (!note) return;
    try {
      await postJSON(`/api/v1/reviews/withholdings/${w.id}/decision`, { approve, note });
      await done();
    } catch (e) { failed(e); }
  };
  return h("div", { class: "buttons" },
    h("button", { type: "button", class: "primary", "data-approve": w.id, onclick: () => decide(true) }, "批准不予公示"),
    h("button", { type: "button", "data-reject": w.id, onclick: () => decide(false) }, "驳回，应予公示"));
}

/** The publication screen: requests awaiting the leader, results to publish, published results. */
export async function loadPublication() {
  const view = section("publication");
  showView("publication");
  const msg = h("p", { class: "error", role: "alert" });
  const [requests, toPublish, published] = await Promise.all([
    getJSON("/api/v1/reviews/withholdings"), getJSON("/api/v1/reviews?status=approved"),
    getJSON("/api/v1/reviews?status=published&sort=-ended")]);
  const leader = hasRole("dept_leader");
  const open = (id) => () => { location.hash = `#record/${id}`; };
  view.replaceChildren(
    h("div", { class: "toolbar" }, h("h1", {}, "公示管理"), h("span", { class: "spacer" }),
      h("button", { type: "button", id: "csv", onclick: () => download("/api/v1/public/results.csv", "抽查结果公示.csv")
        .catch((e) => { msg.textContent = errorText(e); }) }, "下载公示 CSV（全国系统）")),
    msg,
    h("div", { class: "card", id: "withholdings" }, h("h2", {}, "不予公示申请"), requests.length ? h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, ["检查对象", "任务", "录入结果", "理由", "申请人", "状态", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, requests.map((w) => h("tr", { "data-request": w.id },
        h("td", {}, h("a", { href: `#record/${w.visit_id}` }, w.object_name)),
        h("td", {}, w.task_name, h("br"), h("span", { class: "dept" }, `${w.department_name || ""}录入`)), h("td", {}, w.result || "—"),
        h("td", {}, w.reason), h("td", {}, w.requested_by || "", h("br"), h("span", { class: "muted" }, fmtDate(w.requested_at))),
        h("td", {}, WITHHOLD_STATUS[w.status], w.decision_note ? h("div", { class: "muted" }, w.decision_note) : null),
        h("td", {}, w.status === "requested" && leader ? decisionButtons(w, loadPublication, (e) => { msg.textContent = errorText(e); }) : null)))))
      : h("p", { class: "muted" }, "没有不予公示申请。")),
    h("div", { class: "card", id: "to-publish" }, h("h2", {}, `已录入、待公示（${toPublish.length}）`), rowsTable(toPublish, open, false)),
    h("div", { class: "card", id: "published" }, h("h2", {}, `已公示（${published.length}）`), rowsTable(published, open, true)));
}

function rowsTable(rows, open, published) {
  if (!rows.length) return h("p", { class: "muted" }, "无");
  return h("table", { class: "grid" },
    h("thead", {}, h("tr", {}, ["检查对象", "任务", "检查结果", published ? "公示日期" : "录入截止"].map((t) => h("th", {}, t)))),
    h("tbody", {}, rows.map((r) => h("tr", { "data-visit": r.visit_id, class: "clickable", onclick: open(r.visit_id) },
      h("td", {}, h("strong", {}, r.object_name), h("br"), h("span", { class: "hash" }, r.credit_code || "")),
      h("td", {}, r.task_name, queueDepartment(r)), h("td", { class: "result" }, resultText(r.result_labels)),
      h("td", {}, published ? [fmtDate(r.published_on), r.revised_on ? h("div", { class: "pill warn" }, `${r.revised_on} 结果已更新`) : null]
        : (r.due_on || "日历缺失"))))));
}
