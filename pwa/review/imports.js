// Spreadsheet import of the object directory (名录库 → 批量导入): a department administrator or the
// office uploads a CSV or XLSX file (the template's columns), first only checked if they like; the
// job's progress is followed, its counts shown, its rejected rows listed with their reasons and the
// error report downloaded; earlier imports are listed with theirs.
import { h } from "/shared/dom.js";
import { fmtTime } from "./format.js";
import { api, getJSON, hasRole } from "./session.js";
import { download } from "./ui.js";

const STATUS = { pending: "排队中", running: "处理中", done: "已完成", failed: "失败" };
const MODE = { dry_run: "仅校验", commit: "导入" };
const SHOWN_ERRORS = 50;
const POLL_MS = 1000;

const cells = (tag, values) => values.map((v) => h(tag, {}, v));
const active = (job) => job.status === "pending" || job.status === "running";
const errorsXlsx = (job) => h("button", { type: "button", class: "link", "data-errors": job.id,
  onclick: () => download(`/api/v1/registry/imports/${job.id}/errors.xlsx`, `${job.filename.replace(/\.[^.]*$/, "")}-错误报告.xlsx`) },
"下载错误报告");

function statusText(job) {
  if (job.stalled) return "长时间没有进展（处理可能已中断，可重新上传）";
  if (job.status === "running" && job.progress != null) return `处理中 ${Math.round(job.progress * 100)}%（${job.rows_processed}/${job.rows_total} 行）`;
  return STATUS[job.status] || job.status;
}

async function jobCard(job) {
  const counts = job.mode === "dry_run"
    ? `共 ${job.rows_processed} 行：可新增 ${job.created}，可更新 ${job.updated}，无变化 ${job.unchanged}，有错误 ${job.rejected}。`
    : `共 ${job.rows_processed} 行：新增 ${job.created}，更新 ${job.updated}，无变化 ${job.unchanged}，拒绝 ${job.rejected}。`;
  const parts = [h("h2", {}, `${MODE[job.mode]}：${job.filename}`),
    h("p", { id: "import-status" }, statusText(job))];
  if (job.status === "failed") parts.push(h("p", { class: "error" }, job.error || "文件无法读取。"));
  if (job.status === "done") {
    parts.push(h("p", { id: "import-counts" }, counts));
    if (job.ignored_columns && job.ignored_columns.length) {
      parts.push(h("p", { class: "muted" }, `未识别、已忽略的列：${job.ignored_columns.join("、")}`));
    }
    if (job.mode === "dry_run" && !job.rejected) parts.push(h("p", { class: "muted" }, "校验通过：取消勾选“仅校验”后再次上传即可导入。"));
    if (job.rejected) {
      const page = await getJSON(`/api/v1/registry/imports/${job.id}/errors?limit=${SHOWN_ERRORS}`);
      parts.push(h("table", { class: "grid", id: "import-errors" },
        h("thead", {}, h("tr", {}, cells("th", ["行号", "列", "值", "说明"]))),
        h("tbody", {}, page.items.map((e) => h("tr", {}, cells("td", [e.row_number, e.column || "—", e.value || "—", e.message]))))),
      page.next_cursor ? h("p", { class: "muted" }, `只显示前 ${SHOWN_ERRORS} 条：完整清单见错误报告。`) : null,
      h("p", {}, errorsXlsx(job)));
    }
  }
  return h("div", { class: "card", id: "import-job", "data-job": job.id }, ...parts.filter(Boolean));
}

export async function imports(guard) {
  const mayImport = hasRole("office_admin", "dept_admin");
  const file = h("input", { id: "import-file", type: "file", accept: ".csv,.xlsx" });
  const dry = h("input", { id: "import-dry", type: "checkbox", checked: true });
  const result = h("div", { id: "import-result" });
  const tbody = h("tbody", {});
  const empty = h("p", { class: "muted", hidden: true }, "还没有导入记录。");
  const more = h("button", { type: "button", id: "imports-more", hidden: true }, "更多");
  let cursor = null;
  const row = (j) => h("tr", { "data-import": j.id }, ...cells("td", [j.filename, MODE[j.mode] || j.mode, statusText(j),
    fmtTime(j.created_at), j.created, j.updated, j.unchanged, j.rejected]), h("td", {}, j.rejected ? errorsXlsx(j) : ""));
  const page = guard(async () => {
    const data = await getJSON(`/api/v1/registry/imports?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    tbody.append(...data.items.map(row));
    cursor = data.next_cursor;
    more.hidden = !cursor;
    empty.hidden = tbody.children.length > 0;
  });
  const relist = async () => { tbody.replaceChildren(); cursor = null; await page(); };
  more.addEventListener("click", page);
  const follow = async (job) => {
    while (active(job) && !job.stalled && document.body.contains(result)) {
      result.replaceChildren(await jobCard(job));
      await new Promise((r) => setTimeout(r, POLL_MS));
      job = await getJSON(`/api/v1/registry/imports/${job.id}`);
    }
    result.replaceChildren(await jobCard(job));
    await relist();
  };
  const send = guard(async () => {
    const chosen = file.files[0];
    if (!chosen) throw new Error("请选择要导入的 CSV 或 XLSX 文件。");
    const form = new FormData();
    form.append("file", chosen);
    form.append("mode", dry.checked ? "dry_run" : "commit");
    result.replaceChildren(h("p", { class: "muted" }, "正在上传……"));
    try {
      await follow(await (await api("/api/v1/registry/imports", { method: "POST", body: form })).json());
    } catch (e) {
      result.replaceChildren();
      throw e;
    }
  });
  await page();
  return [mayImport ? h("div", { class: "card form" }, h("h2", {}, "批量导入检查对象"),
    h("p", { class: "muted" }, "CSV（UTF-8 或 GB18030）或 XLSX 文件，表头见导入模板。统一社会信用代码相同的对象合并到已有对象。",
      h("button", { type: "button", class: "link", id: "import-template",
        onclick: () => download("/api/v1/registry/imports/template.xlsx", "检查对象导入模板.xlsx") }, "下载导入模板")),
    h("label", {}, "文件", file), h("label", {}, dry, "仅校验（不导入）：先看逐行错误，确认无误后取消勾选再上传"),
    h("button", { type: "button", class: "primary", id: "import-send", onclick: send }, "上传")) : null,
  result, h("h2", {}, "导入记录"),
  h("table", { class: "grid", id: "imports" }, h("thead", {}, h("tr", {}, cells("th", ["文件", "方式", "状态", "上传时间",
    "新增", "更新", "无变化", "拒绝", ""]))), tbody), empty, more].filter(Boolean);
}
