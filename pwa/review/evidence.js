// The Art. 21 evidence of a record ended without a normal check (refused, unreachable, closed…):
// the case, 拒绝配合的事项, 拒绝方式, 见证人, 情况说明, the call attempts and the photos, as the
// record PDF prints them.
import { h } from "/shared/dom.js";

export function evidenceCard(sheet, photos) {
  const lines = sheet.outcome_evidence || [];
  if (!sheet.case_label && !lines.length && !sheet.followup_note) return null;
  return h("div", { class: "evidence", id: "d-evidence" },
    sheet.case_label ? h("h3", {}, `第二十一条情形：${sheet.case_label}`) : null,
    h("dl", { class: "facts", id: "d-outcome-facts" },
      lines.map((e) => [h("dt", {}, e.label), h("dd", { "data-evidence": e.key }, e.text)]),
      sheet.followup_note ? [h("dt", {}, "后续处置说明"), h("dd", {}, sheet.followup_note)] : null),
    photos ? [h("div", { class: "muted" }, "现场照片及证明材料"), photos] : null);
}
