// Directory feeds in the browser (issue 22): the office sends a batch file (JSON Lines or CSV, the
// format the data-sharing platform posts: docs/directory-feed.md), first as a dry run if it likes,
// reads the batch's report (per record kind: applied, unchanged, refused, with each refusal's line
// and reason), and sees every batch received, with its XLSX report to download.
import { h } from "/shared/dom.js";
import { fmtTime } from "./format.js";
import { api, getJSON } from "./session.js";
import { download } from "./ui.js";

const KINDS = { object: "对象信息", status: "登记状态", list: "名录/名单", complaints: "投诉举报", risk: "风险分类",
  unreadable: "无法读取的行" };
const VIA = { api: "接口上传", cli: "命令行" };
const SHOWN_REFUSALS = 50;

const cells = (tag, values) => values.map((v) => h(tag, {}, v));
const xlsx = (b) => h("button", { type: "button", class: "link", "data-report": b.id,
  onclick: () => download(`/api/v1/registry/feeds/${encodeURIComponent(b.id)}/report.xlsx`, `名录数据批次报告-${b.id}.xlsx`) },
"下载报告");

function report(r) {
  const head = r.dry_run ? "试运行：以下是执行后的结果，未写入任何数据。"
    : r.replayed ? "该批次此前已接收（内容相同），未重复执行；以下是当时的报告。" : "批次已执行。";
  const kinds = Object.keys(KINDS).filter((k) => r.counts && r.counts[k]).map((k) => [k, r.counts[k]]);
  const refusals = r.refusals || [];
  return h("div", { class: "card", id: "feed-report" },
    h("h2", {}, `批次 ${r.id}（来源 ${r.source}，第 ${r.sequence} 号）`),
    h("p", { class: r.dry_run ? "muted" : null }, head),
    h("p", {}, `共 ${r.records} 条记录：已生效 ${r.applied}，未变化 ${r.unchanged}，拒绝 ${r.refused}。`,
      r.closed_objects ? ` 注销、吊销或迁出的对象 ${r.closed_objects} 个（不再参加抽取），已提示组长的检查 ${r.flagged_visits} 项。` : ""),
    kinds.length ? h("table", { class: "grid", id: "feed-counts" },
      h("thead", {}, h("tr", {}, cells("th", ["记录类型", "已生效", "未变化", "拒绝"]))),
      h("tbody", {}, kinds.map(([k, c]) => h("tr", { "data-kind": k }, cells("td", [KINDS[k] || k, c.applied, c.unchanged, c.refused])))))
      : null,
    refusals.length ? h("div", {},
      h("h3", {}, "拒绝的记录"),
      h("table", { class: "grid", id: "feed-refusals" },
        h("thead", {}, h("tr", {}, cells("th", ["行号", "记录类型", "统一社会信用代码", "原因"]))),
        h("tbody", {}, refusals.slice(0, SHOWN_REFUSALS).map((x) => h("tr", {},
          cells("td", [x.line, KINDS[x.kind] || "—", x.credit_code || "—", x.message]))))),
      r.refused > SHOWN_REFUSALS ? h("p", { class: "muted" }, `只显示前 ${SHOWN_REFUSALS} 条，共 ${r.refused} 条：完整清单见报告。`) : null)
      : null,
    r.dry_run ? null : h("p", {}, xlsx(r)));
}

export async function feeds(_reload, guard) {
  const file = h("input", { id: "feed-file", type: "file", accept: ".jsonl,.json,.csv,.txt" });
  const dry = h("input", { id: "feed-dry", type: "checkbox", checked: true });
  const result = h("div", { id: "feed-result" });
  const list = h("div", { id: "feed-batches" });
  let cursor = null;
  const more = h("button", { type: "button", id: "feed-more", hidden: true }, "更多批次");
  const tbody = h("tbody", {});
  const empty = h("p", { class: "muted", hidden: true }, "尚未接收任何名录数据批次。");
  const row = (b) => h("tr", { "data-batch": b.id }, ...cells("td", [b.id, b.source, b.sequence, fmtTime(b.received_at),
    VIA[b.received_via] || b.received_via, b.records, b.applied, b.unchanged, b.refused, b.closed_objects, b.flagged_visits]),
  h("td", {}, xlsx(b)));
  const page = guard(async () => {
    const data = await getJSON(`/api/v1/registry/feeds?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    tbody.append(...data.items.map(row));
    cursor = data.next_cursor;
    more.hidden = !cursor;
    empty.hidden = tbody.children.length > 0;
  });
  more.addEventListener("click", page);
  list.replaceChildren(h("table", { class: "grid", id: "feeds" },
    h("thead", {}, h("tr", {}, cells("th", ["批次号", "来源", "序号", "接收时间", "方式", "记录", "已生效", "未变化", "拒绝",
      "注销/吊销/迁出", "已提示组长", ""]))), tbody), empty, more);
  const send = guard(async () => {
    const chosen = file.files[0];
    if (!chosen) throw new Error("请选择批次文件（JSON Lines 或 CSV）。");
    const form = new FormData();
    form.append("file", chosen);
    if (dry.checked) form.append("dry_run", "true");
    result.replaceChildren(h("p", { class: "muted" }, "正在处理，请稍候……"));
    try {
      result.replaceChildren(report(await (await api("/api/v1/registry/feeds", { method: "POST", body: form })).json()));
    } catch (e) {
      result.replaceChildren();
      throw e;
    }
    if (!dry.checked) {
      tbody.replaceChildren();
      cursor = null;
      await page();
    }
  });
  await page();
  return [h("div", { class: "card form" }, h("h2", {}, "发送名录数据批次"),
    h("p", { class: "muted" }, "与数据共享平台发送的文件相同：JSON Lines 或 CSV（UTF-8 或 GB18030），每个来源的批次按序号 1、2、3…… 依次发送。"),
    h("label", {}, "批次文件", file), h("label", {}, dry, "仅试运行（不写入）：先看报告，确认无误后取消勾选再发送"),
    h("button", { type: "button", class: "primary", id: "feed-send", onclick: send }, "发送")),
  result, h("h2", {}, "已接收的批次"), list];
}
