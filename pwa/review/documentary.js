// Documentary checks (书面检查) done at the desk: the plan department's reviewers and administrator
// see the visits whose method is documentary and not started by the team, record the documents
// received, who reviewed them, the review day (= the check day: the 20 working days count from
// it), every checkpoint, the findings and the result, and seal the record in one step
// (POST /api/v1/visits/{id}/desk-check). The sealed record then waits in the review queue.
import { h } from "/shared/dom.js";
import { VALUE_LABELS } from "/shared/labels.js";
import { getJSON, me, postJSON } from "./session.js";
import { confirmAction, errorText, fmtDate, section, showView } from "./ui.js";

export async function loadDocumentary() {
  const view = section("documentary");
  showView("documentary");
  const rows = await getJSON("/api/v1/visits/desk-checks");
  view.replaceChildren(h("div", { class: "toolbar" }, h("h1", {}, "书面检查")),
    h("p", { class: "hint" }, "检查方式为“书面检查”、检查组尚未开始的检查对象，可由本部门后台根据当事人提交的书面材料完成检查并封存。"),
    h("div", { class: "card" }, rows.length ? h("table", { class: "grid", id: "documentary-list" },
      h("thead", {}, h("tr", {}, ["检查对象", "统一社会信用代码", "抽查任务", "检查日期安排", "任务截止", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows.map((r) => h("tr", { "data-visit": r.visit_id },
        h("td", {}, r.object_name), h("td", { class: "hash" }, r.credit_code || "—"), h("td", {}, r.task_name),
        h("td", {}, fmtDate(r.scheduled_date)), h("td", {}, fmtDate(r.window_end)),
        h("td", {}, h("a", { class: "button primary", href: `#documentary/${r.visit_id}` }, "进行书面检查"))))))
      : h("p", { class: "muted" }, "没有待书面检查的检查对象。")));
}

const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10); // Asia/Shanghai

function answerControl(item, cp) {
  const name = `a-${item.item_id}-${cp.key}`;
  if (cp.answer_type === "pass_fail_na" || cp.answer_type === "choice") {
    const opts = cp.answer_type === "choice" ? cp.choices.map((c) => [c, c]) : Object.entries(VALUE_LABELS);
    return h("select", { name, "data-item": item.item_id, "data-key": cp.key, "aria-label": cp.prompt },
      h("option", { value: "" }, "请选择"), opts.map(([v, label]) => h("option", { value: v }, label)));
  }
  return h("input", { name, "data-item": item.item_id, "data-key": cp.key, "aria-label": cp.prompt,
    type: cp.answer_type === "number" ? "number" : "text", step: "any" });
}

const asBase64 = (file) => new Promise((resolve, reject) => {
  const reader = new FileReader();
  reader.onload = () => resolve(String(reader.result).split(",")[1]);
  reader.onerror = () => reject(new Error(`无法读取文件“${file.name}”`));
  reader.readAsDataURL(file);
});

export async function openDocumentary(visitId) {
  const view = section("documentary");
  showView("documentary");
  const msg = h("p", { class: "error", role: "alert", id: "documentary-error" });
  let form;
  try {
    form = await getJSON(`/api/v1/visits/${visitId}/desk-check`);
  } catch (e) {
    view.replaceChildren(h("h1", {}, "书面检查"), h("p", { class: "error" }, errorText(e)), h("a", { href: "#documentary" }, "返回列表"));
    return;
  }
  const docs = h("textarea", { id: "dc-documents", rows: 3, placeholder: "材料名称、份数、提交日期" });
  const reviewers = h("input", { id: "dc-reviewed-by", value: me.user?.display_name || "" });
  const day = h("input", { id: "dc-date", type: "date", value: today(), max: today(), min: form.window_start });
  const scans = h("input", { id: "dc-scans", type: "file", accept: "image/png,image/jpeg", multiple: true });
  const findings = h("textarea", { id: "dc-findings", rows: 3, placeholder: "每行一个问题；未发现问题则留空" });
  const codes = form.result_codes.map((c) => h("label", { class: "evidence-pick" },
    h("input", { type: "checkbox", name: "code", value: c.code }), ` ${c.code} ${c.label}`));
  const followup = h("select", { id: "dc-followup" }, form.followups.map((f) => h("option", { value: f.code }, f.label)));
  const note = h("input", { id: "dc-followup-note", placeholder: "后续处置说明（可选）" });
  const items = form.items.map((item) => h("fieldset", { class: "card" }, h("legend", {}, `${item.code} ${item.name}`),
    item.documents_to_request.length ? h("p", { class: "hint" }, `应收材料：${item.documents_to_request.join("、")}`) : null,
    h("table", { class: "grid" }, h("tbody", {}, item.checkpoints.map((cp) =>
      h("tr", {}, h("td", {}, cp.prompt, cp.unit ? `（${cp.unit}）` : ""), h("td", {}, answerControl(item, cp))))))));
  const label = (text, el) => h("label", { class: "field" }, h("span", {}, text), el);

  const submit = h("button", { type: "button", class: "primary", id: "dc-submit", onclick: async () => {
    msg.textContent = "";
    const answers = [...view.querySelectorAll("[data-item]")].map((el) => ({
      item_id: Number(el.dataset.item), checkpoint_key: el.dataset.key, note: null,
      value: (el.tagName === "SELECT" && el.selectedIndex === 0) ? null : el.value.trim() || null }));
    const missing = answers.filter((a) => a.value == null).length;
    if (!docs.value.trim()) { msg.textContent = "请填写收到的书面材料。"; return; }
    if (missing) { msg.textContent = `还有 ${missing} 个检查要点未填写。`; return; }
    const chosen = codes.map((c) => c.firstChild).filter((i) => i.checked).map((i) => i.value);
    if (!chosen.length) { msg.textContent = "请选择检查结果。"; return; }
    const ok = await confirmAction({ title: "封存书面检查记录", ok: "确认并封存",
      text: `审查日期 ${day.value} 即检查日期，检查结果录入期限自该日起计算。封存后不能修改，如需更正只能提交补正说明。` });
    if (!ok) return;
    submit.disabled = true;
    try {
      const body = { documents_received: docs.value.trim(), reviewed_by: reviewers.value.trim(), review_date: day.value,
        answers, codes: chosen, followup: followup.value, followup_note: note.value.trim() || null,
        findings: findings.value.split("\n").map((t) => t.trim()).filter(Boolean).map((description) => ({ description })),
        scans: await Promise.all([...scans.files].map(async (f) => ({ content_type: f.type, data: await asBase64(f) }))) };
      await postJSON(`/api/v1/visits/${visitId}/desk-check`, body);
      location.hash = `#record/${visitId}`;
    } catch (e) {
      const fields = e.problem?.errors?.map((x) => x.message).join("；");
      msg.textContent = errorText(e) + (fields ? `（${fields}）` : "");
      submit.disabled = false;
    }
  } }, "封存书面检查记录");

  const o = form.object;
  view.replaceChildren(h("div", { class: "toolbar" }, h("h1", {}, `书面检查：${o.name}`), h("span", { class: "spacer" }),
    h("a", { href: "#documentary" }, "返回列表")),
  h("div", { class: "card" }, h("dl", { class: "facts" },
    h("dt", {}, "检查对象"), h("dd", {}, o.name, " ", h("span", { class: "hash" }, o.credit_code || "")),
    h("dt", {}, "抽查任务"), h("dd", {}, form.task_name),
    h("dt", {}, "地址"), h("dd", {}, o.business_address || o.registered_address || "—"))),
  h("div", { class: "card form" }, h("h2", {}, "书面材料"), label("收到的书面材料", docs), label("审查人员", reviewers),
    label("审查日期（即检查日期，录入期限自此起算）", day), label("扫描件或照片（可选，最多 5 个）", scans)),
  h("h2", {}, "检查要点"), ...items,
  h("div", { class: "card" }, h("h2", {}, "发现的问题与检查结果"), h("div", { class: "form" }, label("发现的问题", findings)),
    h("fieldset", {}, h("legend", {}, "检查结果"), codes), h("div", { class: "form" }, label("后续处置", followup), note)),
  msg, h("div", { class: "toolbar" }, submit));
}
