// The object directory (名录库) on the desk: back-office staff look an object up by name or credit
// code, or list objects by registration status and credit-risk class, and open one to see what the
// draw will read of it: its data, sub-libraries, credit data (risk class, the abnormal-operation
// and serious-violation lists, complaints), its last checks, and the history the directory feeds
// wrote (status changes, list stays, complaints per month, each with its batch). Administrators
// import spreadsheets there too (imports.js).
import { h } from "/shared/dom.js";
import { fmtTime } from "./format.js";
import { imports } from "./imports.js";
import { getJSON, hasRole } from "./session.js";
import { errorText, fmtDate, section, showView } from "./ui.js";

const STATUSES = { active: "存续", operating: "在业", revoked: "吊销", deregistered: "注销", cancelled: "撤销",
  moved_out: "迁出", liquidating: "清算" };
const CLOSED = new Set(["revoked", "deregistered", "cancelled", "moved_out"]);
const RISKS = { A: "A 低风险", B: "B 一般风险", C: "C 较高风险", D: "D 高风险", U: "未分类" };
const PAGE = 50;
const IMPORT_READERS = ["office_admin", "dept_admin", "auditor"];
const filters = { q: "", status: "", risk_class: "" };

const cells = (tag, values) => values.map((v) => h(tag, {}, v));
const yes = (flag, label) => (flag ? h("span", { class: "pill bad" }, label) : "—");
const statusPill = (o) => h("span", { class: `pill ${CLOSED.has(o.registration_status) ? "bad" : "ok"}` },
  o.registration_status_label || o.registration_status);

/** `sub`: "" (search), "import" (spreadsheet imports) or an object's id. */
export async function loadDirectory(sub) {
  const view = section("objects");
  showView("objects");
  const msg = h("p", { class: "error", role: "alert", id: "objects-error" });
  const id = /^\d+$/.test(sub || "") ? Number(sub) : null;
  const tab = sub === "import" && hasRole(...IMPORT_READERS) ? "import" : "search";
  const guard = (fn) => async (...a) => { msg.textContent = ""; try { await fn(...a); } catch (e) { if (e) msg.textContent = errorText(e); } };
  const shown = (...nodes) => nodes.filter((n) => n != null); // DOM append writes a null as the text "null"
  view.replaceChildren(...shown(h("div", { class: "toolbar" }, h("h1", {}, "名录库"),
    id ? h("a", { href: "#objects", id: "objects-back" }, "← 返回检索") : null),
  id || !hasRole(...IMPORT_READERS) ? null : h("nav", { class: "tabs" },
    [["search", "#objects", "检索"], ["import", "#objects/import", "批量导入"]].map(([k, href, label]) =>
      h("a", { href, class: k === tab ? "active" : null, "data-tab": k }, label))), msg));
  try {
    view.append(...shown(...(id ? await detail(id) : tab === "import" ? await imports(guard) : await search())));
  } catch (e) { msg.textContent = errorText(e); }
}

async function search() {
  const q = h("input", { id: "objects-q", type: "search", value: filters.q, placeholder: "名称包含，或统一社会信用代码开头" });
  const status = h("select", { id: "objects-status" }, h("option", { value: "" }, "全部登记状态"),
    Object.entries(STATUSES).map(([k, v]) => h("option", { value: k, selected: filters.status === k }, v)));
  const risk = h("select", { id: "objects-risk" }, h("option", { value: "" }, "全部风险分类"),
    Object.entries(RISKS).map(([k, v]) => h("option", { value: k, selected: filters.risk_class === k }, v)));
  const tbody = h("tbody", {});
  const empty = h("p", { class: "muted", hidden: true }, "没有符合条件的检查对象。");
  const more = h("button", { type: "button", id: "objects-more", hidden: true }, "更多");
  const msg = h("p", { class: "error", role: "alert" });
  let cursor = null;
  const row = (o) => {
    const c = o.credit || {};
    return h("tr", { "data-object": o.id },
      h("td", {}, h("a", { href: `#objects/${o.id}` }, o.name)),
      ...cells("td", [o.credit_code || "—", o.object_type_label || o.object_type, o.region_name || o.region_code || "—"]),
      h("td", {}, statusPill(o)),
      ...cells("td", [c.risk_class ? RISKS[c.risk_class] : "未分类"]),
      h("td", {}, yes(c.abnormal_list, "经营异常")), h("td", {}, yes(c.serious_violation_list, "严重违法失信")),
      h("td", { class: "num" }, c.complaint_count ?? 0));
  };
  const page = async () => {
    msg.textContent = "";
    const params = new URLSearchParams({ limit: PAGE });
    for (const [k, v] of Object.entries(filters)) if (v) params.set(k, v);
    if (cursor) params.set("cursor", cursor);
    try {
      const data = await getJSON(`/api/v1/registry/objects?${params}`);
      tbody.append(...data.items.map(row));
      cursor = data.next_cursor;
    } catch (e) { msg.textContent = errorText(e); cursor = null; }
    more.hidden = !cursor;
    empty.hidden = tbody.children.length > 0;
  };
  const run = async (ev) => {
    if (ev) ev.preventDefault();
    Object.assign(filters, { q: q.value.trim(), status: status.value, risk_class: risk.value });
    tbody.replaceChildren();
    cursor = null;
    await page();
  };
  more.addEventListener("click", page);
  status.addEventListener("change", run);
  risk.addEventListener("change", run);
  await run();
  return [h("form", { class: "toolbar", id: "objects-search", onsubmit: run }, q, status, risk,
    h("button", { type: "submit", class: "primary" }, "检索")), msg,
  h("div", { class: "card" }, h("table", { class: "grid", id: "objects" },
    h("thead", {}, h("tr", {}, cells("th", ["名称", "统一社会信用代码", "类型", "行政区划", "登记状态", "信用风险分类",
      "经营异常名录", "严重违法失信名单", "投诉举报（12个月）"]))), tbody), empty, more)];
}

async function detail(id) {
  const [o, hist, depts] = await Promise.all([getJSON(`/api/v1/registry/objects/${id}`),
    getJSON(`/api/v1/registry/objects/${id}/history`), getJSON("/api/v1/departments")]);
  const deptName = Object.fromEntries(depts.map((d) => [d.code, d.name]));
  const c = o.credit || {};
  const fact = (label, value) => [h("dt", {}, label), h("dd", {}, value || value === 0 ? value : "—")];
  const table = (tid, heads, rows, none) => (rows.length
    ? h("table", { class: "grid", id: tid }, h("thead", {}, h("tr", {}, cells("th", heads))), h("tbody", {}, rows))
    : h("p", { class: "muted", id: tid }, none));
  return [h("h2", { id: "object-name" }, o.name, " ", statusPill(o)),
    CLOSED.has(o.registration_status)
      ? h("p", { class: "muted", id: "object-closed" }, `该对象已${o.registration_status_label}，不再参加随机抽取。`) : null,
    h("div", { class: "columns" },
      h("div", { class: "card" }, h("dl", { class: "facts", id: "object-facts" },
        fact("信用代码", o.credit_code), fact("类型", o.object_type_label), fact("法定代表人", o.legal_rep_name),
        fact("身份证号", o.legal_rep_id_masked), fact("联系电话", o.phone), fact("注册地址", o.registered_address),
        fact("经营地址", o.business_address), fact("行政区划", o.region_name ? `${o.region_name}（${o.region_code}）` : o.region_code),
        fact("行业", o.industry), fact("网络经营", o.online ? (o.shop_url || "是") : "否"),
        fact("所属分库", (o.sub_libraries || []).map((l) => l.name).join("、")),
        fact("更新时间", `${fmtTime(o.updated_at)}（第 ${o.version} 版）`))),
      h("div", { class: "card side-col", id: "object-credit" }, h("h3", {}, "信用数据（仅后台可见）"),
        h("dl", { class: "facts" },
          fact("风险分类", c.risk_class ? RISKS[c.risk_class] : "未分类"),
          fact("经营异常名录", c.abnormal_list ? h("span", { class: "pill bad" }, "列入中") : "未列入"),
          fact("严重违法失信", c.serious_violation_list ? h("span", { class: "pill bad" }, "列入中") : "未列入"),
          fact("投诉举报", `${c.complaint_count ?? 0} 次（近 12 个月）`)),
        h("h3", {}, "最近检查"),
        (o.checks || []).length ? h("ul", { id: "object-checks" }, o.checks.map((k) => h("li", {},
          h("a", { href: `#record/${k.visit_id}` }, fmtDate(k.last_checked_on)),
          ` ${deptName[k.department] || k.department || ""} ${k.item_code}：${(k.result_codes || []).join("、") || "—"}`)))
          : h("p", { class: "muted" }, "还没有检查记录。"))),
    h("div", { class: "card" }, h("h3", {}, "登记状态变化"),
      table("object-status-changes", ["变化", "日期", "原因", "批次", "记录时间"], hist.status_changes.map((x) => h("tr", {},
        ...cells("td", [`${x.from_label || x.from_status || "—"} → ${x.to_label || x.to_status}`, fmtDate(x.changed_on),
          x.reason || "—", x.batch_id, fmtTime(x.recorded_at)]))), "没有登记状态变化记录。"),
      h("h3", {}, "经营异常名录、严重违法失信名单"),
      table("object-list-stays", ["名录/名单", "列入", "列入原因", "移出", "移出原因"], hist.list_stays.map((x) => h("tr", {},
        ...cells("td", [x.list_label || x.list, `${fmtDate(x.entered_on)}（${x.entry_batch || "—"}）`, x.entry_reason || "—",
          x.removed_on ? `${fmtDate(x.removed_on)}（${x.removal_batch || "—"}）` : h("span", { class: "pill bad" }, "仍在其中"),
          x.removal_reason || "—"]))), "没有列入记录。"),
      h("h3", {}, "投诉举报（按月）"),
      table("object-complaints", ["月份", "次数", "批次"], hist.complaint_months.map((x) => h("tr", {},
        ...cells("td", [x.period, x.count, x.batch_id]))), "没有投诉举报记录。"))];
}
