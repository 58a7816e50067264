// The reviewer's desktop screen: queue, record detail, approve / return / request evidence,
// and the statistics dashboard. Talks only to /api/v1 on our own origin.
import { h } from "/shared/dom.js";
import { ApiError } from "/shared/http.js";
import { METHOD_LABELS, SIGNER_ROLE_LABELS, VALUE_LABELS } from "/shared/labels.js";
import { ACTION_LABELS, DEADLINE_LABELS, REVIEW_STATUS_LABELS, distanceM, fmtTime, gpsText, mapUrl, resultText } from "./format.js";
import { api, auth, getJSON, hasRole, logout, me, onLogout, stored } from "./session.js";
import { $, confirmAction, download, errorText, section, showView as show } from "./ui.js";
import { passwordForm } from "/shared/password.js";
import { evidenceCard } from "./evidence.js";
import { codePicker, entriesCard, mayDecide, queueDepartment } from "./entries.js";
import { publicationCard, loadPublication } from "./publication.js";
import { leadButton, loadLeads, openLead } from "./leads.js";
import { loadDirectory } from "./directory.js";
import { loadOffice } from "./office.js";
import { breakdownCards } from "./stats.js";
import { loadObjections } from "./objections.js";
import { loadDocumentary, openDocumentary } from "./documentary.js";

const state = { detail: null, comments: [], urls: [], departments: [] };
onLogout(() => show("login"));

// --- login -------------------------------------------------------------------------------

$("#login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#login-error").textContent = "";
  try {
    await auth.login($("#username").value.trim(), $("#password").value, { deviceName: "后台审核工作台" });
  } catch (e) {
    $("#login-error").textContent = e instanceof ApiError ? e.problem.detail || "登录失败" : e.message;
    return;
  }
  $("#password").value = "";
  await start();
});
$("#logout").addEventListener("click", logout);
$("#change-password").addEventListener("click", () => { location.hash = "#password"; });

// --- own password (also the forced change after an administrator set it) --------------------

function showPassword(forced) {
  const view = section("password");
  view.replaceChildren(h("div", { class: "login" },
    h("h1", {}, forced ? "请先设置新密码" : "修改密码"),
    passwordForm({
      forced,
      change: (current, next) => auth.changePassword(current, next),
      onDone: async () => {
        view.replaceChildren(h("p", { class: "ok", role: "status" }, "密码已修改。本账号在其他设备上的登录已失效。"));
        if (forced) await start();
        else setTimeout(() => { location.hash = "#queue"; }, 1200);
      },
    })));
  show("password");
}
$("#norole-logout").addEventListener("click", logout);

// Which screens each role works in; an account with none of them is told where its work is.
const DESK = ["reviewer", "dept_admin", "dept_leader", "office_admin", "auditor"];
const NAV = [
  { view: "queue", label: "审核队列", roles: DESK },
  { view: "publication", label: "公示管理", roles: ["reviewer", "dept_admin", "dept_leader", "office_admin", "auditor"] },
  { view: "documentary", label: "书面检查", roles: ["reviewer", "dept_admin"] },
  { view: "objections", label: "异议处理", roles: ["reviewer", "dept_admin", "dept_leader", "office_admin", "auditor"] },
  { view: "leads", label: "线索移送", roles: ["reviewer", "dept_admin", "dept_leader", "office_admin", "auditor"] },
  { view: "objects", label: "名录库", roles: DESK },
  { view: "dashboard", label: "统计看板", roles: DESK },
  { view: "office", label: "系统管理", roles: ["office_admin", "dept_admin"] },
];

async function start() {
  // An administrator set the password: the server refuses everything but /me until it is changed.
  if (stored().password_change_required) { showPassword(true); return; }
  try {
    Object.assign(me, await getJSON("/api/v1/me"));
    // The office's full name (领导小组办公室 of the 双随机、一公开 work) would push the header onto two lines.
    const dept = me.department ? (me.department.is_office ? "领导小组办公室" : me.department.name) : "";
    $("#who-name").textContent = `${me.user.display_name}（${dept}）`;
    $("#who-name").title = me.department ? me.department.name : "";
  } catch (e) { show("login"); return; }
  $("#nav").replaceChildren(...NAV.filter((n) => hasRole(...n.roles)).map((n) =>
    h("a", { href: `#${n.view}`, "data-view": n.view }, n.label)));
  getJSON("/api/v1/departments").then((ds) => { state.departments = ds; fillDepartments(); }).catch(() => {});
  // From November on, the office (which enters it) is told when next year's working-day calendar is missing.
  if (hasRole("office_admin")) {
    getJSON("/api/v1/calendar/status").then((st) => {
      $("#calendar-warning").textContent = st.warning || "";
      $("#calendar-warning").hidden = !st.warning;
    }).catch(() => {});
  }
  route();
}

// --- routing -----------------------------------------------------------------------------

function route() {
  if (!stored().refresh_token) { show("login"); return; }
  if (stored().password_change_required) { showPassword(true); return; }
  if (location.hash === "#password") { showPassword(false); return; }
  if (!hasRole(...DESK)) { show("norole"); return; }
  const hash = location.hash || (location.pathname.startsWith("/office") ? "#dashboard" : "#queue");
  if (hash.startsWith("#record/")) openRecord(hash.slice(8));
  else if (hash.startsWith("#lead/")) openLead(Number(hash.slice(6)));
  else if (hash === "#dashboard") loadDashboard();
  else if (hash === "#publication") loadPublication();
  else if (hash === "#leads") loadLeads();
  else if (hash === "#objections") loadObjections();
  else if (hash === "#documentary") loadDocumentary();
  else if (hash.startsWith("#documentary/")) openDocumentary(hash.slice(13));
  else if (hash.startsWith("#office")) loadOffice(hash.slice(8) || "calendar");
  else if (hash === "#objects" || hash.startsWith("#objects/")) loadDirectory(hash.slice(9));
  else loadQueue();
}
window.addEventListener("hashchange", route);

// --- queue -------------------------------------------------------------------------------

for (const id of ["#f-status", "#f-deadline", "#f-sort", "#f-department"]) $(id).addEventListener("change", loadQueue);
$("#queue-search").addEventListener("submit", (ev) => { ev.preventDefault(); loadQueue(); });

function fillDepartments() {
  const sel = $("#f-department");
  sel.replaceChildren(h("option", { value: "" }, "全部部门"),
    ...state.departments.filter((d) => !d.is_office).map((d) => h("option", { value: d.id }, d.name)));
  // Only the office and auditors see more than their own department.
  $("#f-department-label").hidden = !hasRole("office_admin", "auditor");
}

async function loadQueue() {
  show("queue");
  const q = new URLSearchParams();
  if ($("#f-status").value) q.set("status", $("#f-status").value);
  if ($("#f-deadline").value) q.set("deadline", $("#f-deadline").value);
  if ($("#f-department").value) q.set("department_id", $("#f-department").value);
  if ($("#f-q").value.trim()) q.set("q", $("#f-q").value.trim());
  q.set("sort", $("#f-sort").value);
  const rows = await getJSON(`/api/v1/reviews?${q}`);
  const tbody = $("#queue-table tbody");
  tbody.replaceChildren(...rows.map((r) => h("tr", { "data-visit": r.visit_id, "data-dept": r.department, onclick: () => { location.hash = `#record/${r.visit_id}`; } },
    h("td", {}, h("strong", {}, r.object_name), h("br"), h("span", { class: "hash" }, r.credit_code || "")),
    h("td", {}, r.task_name, queueDepartment(r),
      r.inspectors && r.inspectors.length ? h("div", { class: "dept" }, `检查人员：${r.inspectors.join("、")}`) : null),
    h("td", {}, r.check_ended_on),
    h("td", {}, r.due_on || "未知", r.deadline_provisional ? [" ", h("span", { class: "pill warn provisional", title: r.deadline_message || "" }, "暂定")] : null, " ",
      h("span", { class: `pill ${r.deadline_state}` }, DEADLINE_LABELS[r.deadline_state] || r.deadline_state)),
    h("td", {}, h("span", { class: "pill" }, r.status_label), r.amended_since_sent_back ? [" ", h("span", { class: "pill good" }, "已补正")] : null),
    h("td", { class: "result" }, resultText(r.result_labels) || "—"),
    h("td", {}, r.returned_count || ""),
    h("td", {}, r.evidence_pending ? h("span", { class: "pill warn" }, "待上传") : h("span", { class: "pill good" }, "齐全")))));
  if (!rows.length) tbody.append(h("tr", {}, h("td", { colspan: 8 }, q.has("q") ? "没有符合搜索条件的记录" : "队列为空")));
  $("#queue-count").textContent = `共 ${rows.length} 条`;
}

// --- detail ------------------------------------------------------------------------------

$("#back").addEventListener("click", () => { location.hash = "#queue"; });

async function blobUrl(path) {
  const r = await api(path);
  const url = URL.createObjectURL(await r.blob());
  state.urls.push(url);
  return url;
}

async function addComment(target, label) {
  const text = await confirmAction({ title: "提意见", ok: "添加意见", reason: "意见",
    text: `对“${label}”的意见：随退回或要求补充证据一并发给检查组，显示在该项旁。` });
  if (!text) return;
  state.comments.push({ target, text, label });
  renderComments();
}

// Comments go with a return or an evidence request: only for a reviewer whose own entry is open.
function commentButton(target, label) {
  if (!hasRole("reviewer", "dept_admin") || !state.detail || !mayDecide(state.detail)) return null;
  return h("button", { type: "button", class: "comment-btn", "data-target": target,
    onclick: () => addComment(target, label) }, "提意见");
}

function renderComments() {
  $("#d-comments").replaceChildren(...state.comments.map((c, i) => h("li", {},
    h("div", { class: "target" }, c.label), c.text, " ",
    h("button", { type: "button", class: "link", onclick: () => { state.comments.splice(i, 1); renderComments(); } }, "删除"))));
}

function mediaFor(sheet, type, id) {
  return sheet.media.filter((m) => m.target.type === type && m.target.id === id && m.kind !== "signature");
}

function thumbs(sheet, list) {
  if (!list.length) return null;
  return h("div", { class: "thumbs" }, list.map((m) => {
    if (!m.arrived) return h("span", { class: "pending-media" }, "照片待上传");
    const img = h("img", { class: "thumb", alt: "照片缩略图", "data-media": m.media_id, onclick: () => openViewer(m) });
    blobUrl(`/api/v1/media/${m.media_id}/thumb`).then((u) => { img.src = u; }).catch(() => { img.alt = "无法加载"; });
    return img;
  }));
}

async function openRecord(visitId) {
  show("detail");
  for (const u of state.urls.splice(0)) URL.revokeObjectURL(u);
  state.comments = [];
  renderComments();
  $("#act-error").textContent = $("#act-ok").textContent = "";
  $("#d-main").replaceChildren(h("p", {}, "加载中…"));
  // Nothing acts on the previous record while this one loads.
  for (const id of ["#act-approve", "#act-return", "#act-evidence"]) $(id).disabled = true;
  $("#d-publication").replaceChildren();
  $("#d-title").textContent = "";
  let d;
  try { d = await getJSON(`/api/v1/reviews/${visitId}`); } catch (e) {
    $("#d-main").replaceChildren(h("p", { class: "error" }, errorText(e))); return;
  }
  state.detail = d;
  const s = d.sheet;
  const v = d.visit;
  $("#d-title").textContent = `${s.business.name} · ${s.task.name}`;
  $("#d-status").textContent = REVIEW_STATUS_LABELS[d.review.status] || d.review.status;
  const b = $("#d-binding");
  b.className = `pill ${d.binding_verified ? "good" : "bad"}`;
  b.id = "d-binding";
  b.textContent = d.binding_verified ? "✔ 签名绑定已核验" : "✘ 签名绑定核验失败";

  // Facts (side column).
  $("#d-facts").replaceChildren(h("h2", {}, "记录信息"), h("dl", { class: "facts" },
    h("dt", {}, "记录编号"), h("dd", {}, s.record_no),
    h("dt", {}, "检查对象"), h("dd", {}, s.business.name, h("br"), h("span", { class: "hash" }, s.business.credit_code || "")),
    h("dt", {}, "检查机关"), h("dd", {}, s.authority),
    h("dt", {}, "检查方式"), h("dd", {}, METHOD_LABELS[s.method || "onsite"] || s.method,
      Object.entries(s.method_details || {}).filter(([, v]) => v && (!Array.isArray(v) || v.length))
        .map(([, v]) => [h("br"), h("span", { class: "dept" }, Array.isArray(v) ? v.join(" ") : v)])),
    h("dt", {}, "检查结束"), h("dd", {}, d.review.check_ended_on),
    h("dt", {}, "录入截止"), h("dd", {}, d.review.due_on || "未知", d.review.deadline_provisional
      ? [" ", h("span", { class: "pill warn" }, "暂定"), h("p", { class: "hint provisional-note" }, d.review.deadline_message)] : null),
    h("dt", {}, "到达"), h("dd", {}, fmtTime(s.arrival && s.arrival.at)),
    h("dt", {}, "封存"), h("dd", {}, fmtTime(s.sealed_at)),
    h("dt", {}, "内容哈希"), h("dd", { class: "hash" }, s.content_sha256)));

  const main = [];
  // A joint team's handoff: what a member's phone sent later differs from what the party signed.
  const mismatches = (v.record && v.record.content_mismatches) || [];
  if (mismatches.length) {
    const who = (uid) => (v.team.find((m) => m.user_id === uid) || {}).name || `用户 ${uid}`;
    const val = (x) => (x == null ? "无" : x.value !== undefined ? `${VALUE_LABELS[x.value] || x.value}${x.note ? `（${x.note}）` : ""}`
      : x.description || x.sha256 || JSON.stringify(x));
    const what = (f) => {
      const a = /^answers\.(\d+):(.+)$/.exec(f);
      const cp = a && ((s.items.find((i) => String(i.item_id) === a[1]) || {}).checkpoints || []).find((c) => c.key === a[2]);
      return cp ? `检查要点“${cp.prompt}”` : f.startsWith("findings.") ? "发现的问题" : f.startsWith("media.") ? "照片/视频" : f;
    };
    main.push(h("div", { class: "card content-mismatch", role: "alert" },
      h("h2", {}, `内容不一致（${mismatches.length} 处）`),
      h("p", {}, "联合检查交接后，组员手机提交的内容与当事人签名的内容不同。记录以签名内容为准，双方内容均已记入审计日志；如需更正请退回补正。"),
      h("ul", {}, mismatches.map((m) => h("li", {}, `${what(m.field)}：签名时“${val(m.signed)}”，${who(m.member_user_id)}的手机提交“${val(m.arrived)}”（${fmtTime(m.at)}）`)))));
  }
  // Team.
  main.push(h("div", { class: "card" }, h("h2", {}, "执法检查人员"), h("table", { class: "grid" },
    h("thead", {}, h("tr", {}, h("th", {}, "姓名"), h("th", {}, "部门"), h("th", {}, "执法证号"), h("th", {}, "职责"), h("th", {}, "到场"))),
    h("tbody", {}, s.team.map((m) => h("tr", {}, h("td", {}, m.name), h("td", {}, m.department), h("td", {}, m.cert_no || "—"),
      h("td", {}, m.role === "leader" ? "组长" : "组员"), h("td", {}, m.present ? "是" : "否")))))));
  // Items with answers per department.
  const items = h("div", { class: "card" }, h("h2", {}, "检查事项与检查情况"));
  for (const item of s.items.filter((i) => i.checkpoints.length)) {
    const rows = item.checkpoints.map((cp) => {
      const target = `answer:${item.item_id}:${cp.key}`;
      const shown = (v) => (VALUE_LABELS[v] || v || "—") + (v && cp.unit && !VALUE_LABELS[v] ? ` ${cp.unit}` : "");
      // An amendment's value in place, the signed one beside it.
      const amended = cp.amended || {};
      const was = (key, text) => (key in amended ? h("div", { class: "was" }, `已补正，签字确认时为：${text || "（空）"}`) : null);
      const value = "value" in amended ? amended.value : cp.value;
      return h("tr", { "data-answer": `${item.item_id}:${cp.key}`, class: cp.amended ? "amended" : null },
        h("td", {}, cp.prompt),
        h("td", { class: `v-${value}` }, shown(value), was("value", shown(cp.value))),
        h("td", {}, ("note" in amended ? amended.note : cp.note) || "", was("note", cp.note)),
        h("td", {}, cp.answered_by || "", h("br"), h("span", { class: "dept" }, cp.department || "")),
        h("td", {}, thumbs(s, mediaFor(s, "answer", `${item.item_id}:${cp.key}`))),
        h("td", {}, commentButton(target, `${item.code} ${cp.prompt}`)));
    });
    items.append(h("div", { class: "item" }, h("h3", {}, `${item.code} ${item.name} `, h("span", { class: "dept" }, `（${item.department}）`)),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "检查要点"), h("th", {}, "结果"), h("th", {}, "说明"), h("th", {}, "检查人（部门）"),
        h("th", {}, "照片"), h("th", {}, ""))), h("tbody", {}, rows))));
  }
  if (!s.items.some((i) => i.checkpoints.length)) {
    items.append(h("p", { class: "dept" }, s.case_label
      ? `未进行逐项检查（${s.case_label}），情况见下方“检查结果”中的证据。` : "没有填写任何检查要点。"));
  }
  main.push(items);
  // Findings.
  const findings = v.record.findings;
  main.push(h("div", { class: "card", id: "d-findings" }, h("h2", {}, "发现的问题"), findings.length ? h("ol", {}, findings.map((f) =>
    h("li", {}, f.description, f.legal_basis ? ` （依据：${f.legal_basis}）` : "", f.rectify_deadline ? ` 整改期限 ${f.rectify_deadline}` : "", " ",
      thumbs(s, mediaFor(s, "finding", f.id)), commentButton(`finding:${f.id}`, `问题：${f.description.slice(0, 20)}`),
      leadButton(f, d, thumbs)))) : h("p", {}, "未发现问题")));
  // Outcome.
  main.push(h("div", { class: "card", id: "d-outcome" }, h("h2", {}, "检查结果"),
    h("p", {}, s.outcome_labels.map((o) => h("span", { class: "pill", "data-code": o.code }, `${o.code} ${o.label}`)), " ",
      s.followup_label ? `后续处置：${s.followup_label}` : ""),
    s.sealed_outcome_labels ? h("p", { class: "dept", id: "d-outcome-sealed" }, "已补正，签字确认时为：",
      s.sealed_outcome_labels.map((o) => `${o.code} ${o.label}`).join("；")) : null,
    evidenceCard(s, thumbs(s, s.media.filter((m) => (s.outcome_media_ids || []).includes(m.media_id))))));
  main.push(entriesCard(d, () => act("summary")));
  // Other photos (not tied to an answer or a finding).
  const loose = s.media.filter((m) => m.kind !== "signature" && !["answer", "finding"].includes(m.target.type));
  if (loose.length) main.push(h("div", { class: "card" }, h("h2", {}, "其他照片及视听资料"), thumbs(s, loose)));
  // Signatures.
  main.push(h("div", { class: "card", id: "d-signatures" }, h("h2", {}, "签名"), h("div", { class: "sigs" }, s.signatures.map((sig) => {
    const img = h("img", { alt: `${sig.signer_name} 的签名` });
    if (sig.image_media_id) blobUrl(`/api/v1/media/${sig.image_media_id}/view`).then((u) => { img.src = u; }).catch(() => {});
    return h("div", { class: "sig" }, h("div", {}, `${SIGNER_ROLE_LABELS[sig.role] || sig.role}：${sig.signer_name}`,
      sig.kind === "stamp" ? "（盖章确认）" : "", sig.id_type ? `［${sig.id_type} ${sig.id_number_masked || ""}］` : ""),
      sig.refused ? h("div", { class: "mismatch" }, `拒绝签名：${sig.refusal_reason}`,
        sig.no_witness_reason ? `；未请见证人：${sig.no_witness_reason}` : "") : img,
      h("div", { class: sig.server_verified ? "verified" : "mismatch" }, sig.server_verified ? "✔ 绑定已核验（服务器重新计算）" : "✘ 绑定未通过核验"),
      h("div", { class: "dept" }, fmtTime(sig.signed_at)));
  }))));
  // Amendments.
  main.push(h("div", { class: "card", id: "d-amendments" }, h("h2", {}, "补正记录"), s.amendments.length ? h("table", { class: "grid" },
    h("thead", {}, h("tr", {}, h("th", {}, "时间"), h("th", {}, "补正人"), h("th", {}, "原因"), h("th", {}, "内容"))),
    h("tbody", {}, s.amendments.map((a) => h("tr", {}, h("td", {}, fmtTime(a.at)), h("td", {}, a.by), h("td", {}, a.reason), h("td", {}, a.summary)))))
    : h("p", {}, "无")));
  // Audit trail.
  main.push(h("div", { class: "card", id: "d-trail" }, h("h2", {}, "审计轨迹"), h("table", { class: "grid trail" },
    h("thead", {}, h("tr", {}, h("th", {}, "序号"), h("th", {}, "时间"), h("th", {}, "操作"), h("th", {}, "操作人"), h("th", {}, "条目哈希"))),
    h("tbody", {}, d.audit_trail.map((e) => h("tr", {}, h("td", {}, e.seq), h("td", {}, fmtTime(e.at)), h("td", {}, ACTION_LABELS[e.action] || e.action),
      h("td", {}, e.actor || "系统"), h("td", {}, e.entry_hash.slice(0, 16) + "…")))))));
  $("#d-main").replaceChildren(...main.filter(Boolean));

  $("#d-history").replaceChildren(...(d.comments.length ? d.comments.map((c) => h("li", {},
    h("div", { class: "target" }, `第 ${c.round} 轮 · ${c.kind === "return" ? "退回" : "补充证据"} · ${c.target} · ${fmtTime(c.at)}`), c.text))
    : [h("li", {}, "无")]));
  for (const id of ["#act-approve", "#act-return", "#act-evidence"]) $(id).disabled = !mayDecide(d);
  $("#d-actions").hidden = !hasRole("reviewer", "dept_admin");
  $("#d-publication").replaceChildren(...publicationCard(d, () => openRecord(d.visit.id)));
}

async function act(kind) {
  const d = state.detail;
  $("#act-error").textContent = $("#act-ok").textContent = "";
  const comments = state.comments.map(({ target, text }) => ({ target, text }));
  const general = $("#d-general").value.trim();
  if (general) comments.push({ target: "general", text: general });
  const id = d.visit.id;
  const name = d.sheet.business.name;
  if (!["approve", "summary"].includes(kind) && !comments.length) { $("#act-error").textContent = "请至少填写一条意见。"; return; }
  // A joint record: the department enters (and confirms) the result of its own items only.
  const joint = (d.entries || []).length > 1;
  const own = joint ? `${d.review.department_name}负责事项（${d.review.items.join("、")}）的` : "";
  const picker = kind === "approve" && d.review.result_choices ? codePicker(d.review) : null;
  const asked = kind === "approve"
    ? await confirmAction({ title: "确认审核通过", ok: "审核通过并录入结果", extra: picker && picker.element, check: picker && picker.check,
        text: picker ? `“${name}”${own}检查结果，按检查记录建议录入：${resultText(d.review.proposed_labels)}。如与检查记录不符，`
          + "可在下方另选。录入后不能再退回检查组。"
          : `将“${name}”${own}检查结果录入为：${resultText(d.review.proposed_labels || d.sheet.outcome_labels)}。录入后不能再退回检查组。` })
    : kind === "summary"
      ? await confirmAction({ title: "确认公示联合检查汇总", ok: "公示汇总",
          text: `“${name}”的联合检查汇总结果将在公示系统向社会公开。公示后不能撤回，只能更正。` })
      : await confirmAction({ title: kind === "return" ? "确认退回检查组" : "确认要求补充证据",
        ok: kind === "return" ? "退回" : "要求补充证据",
        text: `共 ${comments.length} 条意见将发给“${name}”的检查组，检查组下次同步时可见。` });
  if (!asked) return;
  try {
    if (kind === "approve") {
      await api(`/api/v1/reviews/${id}/approve`, { method: "POST", body: picker && picker.changed() ? { result_codes: picker.codes() } : undefined });
      $("#act-ok").textContent = "已审核通过并录入结果。";
    } else if (kind === "summary") {
      await api(`/api/v1/reviews/${id}/publish-summary`, { method: "POST" });
      $("#act-ok").textContent = "已公示联合检查汇总结果。";
    } else {
      await api(`/api/v1/reviews/${id}/${kind === "return" ? "return" : "request-evidence"}`, { method: "POST", body: { comments } });
      $("#act-ok").textContent = kind === "return" ? "已退回检查组，检查组下次同步时可见。" : "已要求补充证据。";
      $("#d-general").value = "";
    }
    const msg = $("#act-ok").textContent;
    await openRecord(id);
    $("#act-ok").textContent = msg;
  } catch (e) {
    $("#act-error").textContent = errorText(e);
  }
}
$("#act-approve").addEventListener("click", () => act("approve"));
$("#act-return").addEventListener("click", () => act("return"));
$("#act-evidence").addEventListener("click", () => act("evidence"));

$("#d-pdf").addEventListener("click", async () => {
  const d = state.detail;
  try {
    const url = await blobUrl(`/api/v1/reviews/${d.visit.id}/record.pdf`);
    const a = h("a", { href: url, download: `${d.sheet.record_no}.pdf` });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (e) { $("#act-error").textContent = errorText(e); }
});

// --- photo viewer --------------------------------------------------------------------------

async function openViewer(m) {
  const exif = m.exif || {};
  const claim = m.claim || {};
  const arrival = state.detail.sheet.arrival && state.detail.sheet.arrival.gps;
  const where = exif.gps || claim.gps || arrival;
  const dist = distanceM(exif.gps, claim.gps || arrival);
  $("#viewer-img").src = "";
  $("#viewer-meta").replaceChildren(...[h("h2", {}, "照片信息"), h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, "照片 EXIF"), h("th", {}, "应用记录"))),
    h("tbody", {},
      h("tr", {}, h("th", {}, "拍摄时间"), h("td", { id: "exif-time" }, fmtTime(exif.captured_at)), h("td", { id: "claim-time" }, fmtTime(claim.captured_at))),
      h("tr", {}, h("th", {}, "位置"), h("td", { id: "exif-gps" }, gpsText(exif.gps)), h("td", {}, gpsText(claim.gps || arrival))),
      h("tr", {}, h("th", {}, "设备"), h("td", {}, [exif.make, exif.model].filter(Boolean).join(" ") || "—"), h("td", {}, "")))),
    dist !== null ? h("p", { class: dist > 500 ? "mismatch" : "" }, `两处位置相距约 ${Math.round(dist)} 米`) : h("p", {}, "照片无 GPS 信息，以到达位置为参考。"),
    !exif.captured_at ? h("p", { class: "mismatch" }, "照片没有 EXIF 拍摄时间。") : null,
    where && typeof where.lat === "number"
      ? h("p", {}, h("a", { id: "map-link", target: "_blank", rel: "noopener noreferrer",
          href: mapUrl(where) }, "在地图上查看位置")) : null,
    h("p", { class: "hash" }, `SHA-256：${m.sha256}`),
    m.width ? h("p", {}, `原图 ${m.width} × ${m.height} 像素`) : null].filter(Boolean));
  $("#viewer").hidden = false;
  try { $("#viewer-img").src = await blobUrl(`/api/v1/media/${m.media_id}/view`); } catch { $("#viewer-img").alt = "无法加载"; }
}
$("#viewer-close").addEventListener("click", () => { $("#viewer").hidden = true; });
$("#viewer").addEventListener("click", (ev) => { if (ev.target.id === "viewer") $("#viewer").hidden = true; });
document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") $("#viewer").hidden = true; });

// --- dashboard ---------------------------------------------------------------------------

async function loadDashboard() {
  show("dashboard");
  const stats = await getJSON("/api/v1/statistics");
  const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 1000) / 10}%`);
  $("#dash-table tbody").replaceChildren(...stats.departments.map((d) => h("tr", {},
    h("td", {}, d.department), h("td", {}, d.tasks), h("td", {}, d.visits), h("td", {}, d.sealed), h("td", {}, d.entered),
    h("td", {}, pct(d.completion_rate)), h("td", {}, pct(d.on_time_rate)), h("td", {}, d.due_soon), h("td", {}, d.overdue),
    h("td", {}, d.deadline_unknown), h("td", {}, d.returns))));
  const charts = $("#charts");
  charts.replaceChildren();
  const old = document.getElementById("breakdowns");
  if (old) old.remove();
  charts.after(breakdownCards(stats));
  for (const kind of ["completion", "deadlines", "outcomes", "problems"]) {
    const card = h("div", { class: "card", "data-chart": kind });
    charts.append(card);
    const svg = await (await api(`/api/v1/statistics/charts/${kind}.svg`)).text();
    // Server-rendered SVG from our own origin, inserted as a parsed document (no scripts in it).
    const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
    card.append(document.importNode(doc.documentElement, true));
  }
}

$("#xlsx").addEventListener("click", async () => {
  const url = await blobUrl("/api/v1/statistics/export.xlsx");
  const a = h("a", { href: url, download: "抽查统计.xlsx" });
  document.body.append(a);
  a.click();
  a.remove();
});

// --- boot --------------------------------------------------------------------------------

if (stored().refresh_token) start(); else show("login");
