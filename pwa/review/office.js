// Office and department administration in the browser: the State Council's holiday notice for a
// year (holidays and make-up working days) and declaring the year complete; users, roles and
// password resets; devices, with revoking a lost phone; departments; directory feed batches (feeds.js).
import { h } from "/shared/dom.js";
import { feeds } from "./feeds.js";
import { fmtTime } from "./format.js";
import { getJSON, hasRole, me, postJSON } from "./session.js";
import { confirmAction, errorText, section, showView } from "./ui.js";

export const ROLE_LABELS = { inspector: "执法检查人员", reviewer: "审核人员", dept_admin: "部门管理员",
  dept_leader: "部门领导", office_admin: "领导小组办公室管理员", auditor: "审计人员（只读）" };
const COVERAGE = { package: "日历组件已含该年", overrides: "已完整录入", missing: "缺失" };

const TABS = [
  { key: "calendar", label: "工作日日历", roles: ["office_admin"] },
  { key: "users", label: "用户与角色", roles: ["office_admin", "dept_admin"] },
  { key: "devices", label: "设备", roles: ["office_admin", "dept_admin"] },
  { key: "departments", label: "部门", roles: ["office_admin"] },
  { key: "feeds", label: "名录数据", roles: ["office_admin"] },
];

export async function loadOffice(tab) {
  const view = section("office");
  showView("office");
  const tabs = TABS.filter((t) => hasRole(...t.roles));
  if (!tabs.some((t) => t.key === tab)) tab = tabs[0].key;
  const body = h("div", { id: "office-body" });
  const msg = h("p", { class: "error", role: "alert", id: "office-error" });
  view.replaceChildren(h("div", { class: "toolbar" }, h("h1", {}, "系统管理")),
    h("nav", { class: "tabs" }, tabs.map((t) => h("a", { href: `#office/${t.key}`, class: t.key === tab ? "active" : null, "data-tab": t.key }, t.label))),
    msg, body);
  const reload = () => loadOffice(tab);
  const guard = (fn) => async (...a) => { msg.textContent = ""; try { await fn(...a); } catch (e) { if (e) msg.textContent = errorText(e); } };
  try {
    body.replaceChildren(...(await ({ calendar, users, devices, departments, feeds })[tab](reload, guard)).filter(Boolean));
  } catch (e) { msg.textContent = errorText(e); }
}

// --- calendar --------------------------------------------------------------------------------

async function calendar(reload, guard) {
  const st = await getJSON("/api/v1/calendar/status");
  // The desk's banner follows what the office has just entered.
  const banner = document.querySelector("#calendar-warning");
  banner.textContent = st.warning || "";
  banner.hidden = !st.warning;
  const thisYear = Number(String(st.today).slice(0, 4));
  const year = h("input", { id: "cal-year", type: "number", value: thisYear + 1, min: 2004, max: 2100 });
  const holidays = h("textarea", { id: "cal-holidays", rows: 5, placeholder: "每行一段：起始日期 结束日期 说明\n2027-01-01 2027-01-03 元旦\n2027-02-10 2027-02-17 春节" });
  const workdays = h("textarea", { id: "cal-workdays", rows: 3, placeholder: "每行一天：日期 说明\n2027-02-07 春节调休上班" });
  const source = h("input", { id: "cal-source", placeholder: "国务院办公厅关于 2027 年部分节假日安排的通知（国办发明电〔2026〕X 号）" });
  const overrides = h("div", { id: "cal-overrides" });
  const showOverrides = async () => {
    const rows = await getJSON(`/api/v1/calendar/overrides?year=${year.value}`);
    overrides.replaceChildren(rows.length ? h("table", { class: "grid" }, h("thead", {}, h("tr", {}, ["日期", "类型", "说明", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows.map((r) => h("tr", { "data-day": r.date }, h("td", {}, r.date), h("td", {}, r.is_workday ? "调休上班" : "放假"),
        h("td", {}, r.note || ""), h("td", {}, h("button", { type: "button", class: "link", onclick: guard(async () => {
          await postJSON(`/api/v1/calendar/overrides/${r.date}`, undefined, "DELETE"); await showOverrides(); }) }, "删除"))))))
      : h("p", { class: "muted" }, `${year.value} 年尚未录入节假日。`));
  };
  year.addEventListener("change", showOverrides);
  const save = guard(async () => {
    const lines = (t) => t.value.split("\n").map((l) => l.trim()).filter(Boolean);
    const entries = [];
    for (const l of lines(holidays)) {
      const [from, to, ...note] = l.split(/\s+/);
      const isDate = /^\d{4}-\d{2}-\d{2}$/.test(to || "");
      entries.push({ from, to: isDate ? to : null, is_workday: false, note: (isDate ? note : [to, ...note]).filter(Boolean).join(" ") || null });
    }
    for (const l of lines(workdays)) {
      const [from, ...note] = l.split(/\s+/);
      entries.push({ from, to: null, is_workday: true, note: note.join(" ") || null });
    }
    const bad = entries.find((e) => !/^\d{4}-\d{2}-\d{2}$/.test(e.from) || !e.from.startsWith(year.value));
    if (bad) throw new Error(`日期“${bad.from}”不是 ${year.value} 年的日期（格式：2027-01-01）。`);
    if (!entries.length) throw new Error("请录入放假日期或调休上班日期。");
    const ok = await confirmAction({ title: `录入 ${year.value} 年节假日安排`, ok: "录入并宣告完整",
      text: `放假 ${lines(holidays).length} 段、调休上班 ${lines(workdays).length} 天。宣告完整后，落在 ${year.value} 年的录入截止日期即可计算。`,
      reason: source.value.trim() ? null : "依据（通知名称与文号）" });
    if (!ok) return;
    for (const e of entries) await postJSON("/api/v1/calendar/overrides", e);
    await postJSON(`/api/v1/calendar/years/${year.value}`, { declared_complete: true, source: source.value.trim() || ok }, "PUT");
    await reload();
  });
  await showOverrides();
  return [
    h("div", { class: "card" }, h("h2", {}, "各年日历"), h("table", { class: "grid", id: "cal-years" },
      h("thead", {}, h("tr", {}, ["年份", "来源", "放假日", "调休上班", "依据", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, st.years.map((y) => h("tr", { "data-year": y.year }, h("td", {}, `${y.year} 年`),
        h("td", {}, h("span", { class: `pill ${y.coverage === "missing" ? "bad" : "good"}` }, COVERAGE[y.coverage] || y.coverage_label)),
        h("td", { class: "num" }, y.holidays), h("td", { class: "num" }, y.workdays), h("td", {}, y.source || "—"),
        h("td", {}, y.declared_complete ? h("button", { type: "button", class: "link", onclick: guard(async () => {
          if (!await confirmAction({ title: "撤回宣告", text: `撤回后 ${y.year} 年的截止日期重新显示为未知。`, ok: "撤回", danger: true })) return;
          await postJSON(`/api/v1/calendar/years/${y.year}`, { declared_complete: false, source: null }, "PUT"); await reload(); }) }, "撤回宣告") : null)))))),
    h("div", { class: "card form" }, h("h2", {}, "录入国务院节假日安排通知"),
      h("div", { class: "row" }, h("label", {}, "年份", year), h("label", {}, "依据", source)),
      h("div", { class: "row" }, h("label", {}, "放假（每行一段）", holidays), h("label", {}, "调休上班日（每行一天）", workdays)),
      h("button", { type: "button", class: "primary", id: "cal-save", onclick: save }, "录入并宣告该年完整"),
      h("h3", {}, "已录入"), overrides),
  ];
}

// --- users -----------------------------------------------------------------------------------

async function users(reload, guard) {
  const [page, depts] = await Promise.all([getJSON("/api/v1/users?limit=500"), getJSON("/api/v1/departments")]);
  const assignable = Object.keys(ROLE_LABELS).filter((r) => hasRole("office_admin") || !["office_admin", "auditor"].includes(r));
  const setRoles = (u) => guard(async () => {
    const boxes = assignable.map((r) => h("label", { class: "evidence-pick" }, h("input", { type: "checkbox", value: r, checked: u.roles.includes(r) }), ` ${ROLE_LABELS[r]}`));
    const ok = await confirmAction({ title: `设置角色：${u.display_name}`, text: "勾选该用户的角色（限本部门）。", ok: "保存", extra: boxes });
    if (!ok) return;
    await postJSON(`/api/v1/users/${u.id}/roles`, { roles: boxes.map((b) => b.firstChild).filter((c) => c.checked).map((c) => c.value) }, "PUT");
    await reload();
  });
  const resetPassword = (u) => guard(async () => {
    const pw = await confirmAction({ title: `重置密码：${u.display_name}`, reason: "新密码（至少 8 位）", minLength: 8, ok: "重置",
      text: "重置后该用户所有设备须用新密码重新登录。请把新密码当面或电话告知本人。" });
    if (!pw) return;
    await postJSON(`/api/v1/users/${u.id}/password`, { password: pw });
    document.querySelector("#office-error").textContent = "";
    document.querySelector("#office-body").prepend(h("p", { class: "ok", role: "status" }, `已重置 ${u.display_name} 的密码。`));
  });
  const setActive = (u) => guard(async () => {
    if (!await confirmAction({ title: `${u.active ? "停用" : "启用"}账号：${u.display_name}`, ok: u.active ? "停用" : "启用", danger: u.active,
      text: u.active ? "停用后该用户不能再登录，已登录的设备随即失效。" : "启用后该用户可以用原密码登录。" })) return;
    await postJSON(`/api/v1/users/${u.id}`, { active: !u.active }, "PATCH");
    await reload();
  });
  const deptName = Object.fromEntries(depts.map((d) => [d.id, d.name]));
  const mine = hasRole("office_admin") ? depts : depts.filter((d) => d.id === (me.department || {}).id);
  const f = { username: h("input", { id: "user-username", placeholder: "如 scjg-insp7", autocomplete: "off" }),
    name: h("input", { id: "user-name", placeholder: "姓名" }),
    dept: h("select", { id: "user-dept" }, mine.map((d) => h("option", { value: d.id }, d.name))),
    password: h("input", { id: "user-password", type: "password", autocomplete: "new-password", placeholder: "初始密码（至少 8 位，含三类字符）" }),
    roles: assignable.map((r) => h("label", { class: "evidence-pick" }, h("input", { type: "checkbox", value: r, checked: r === "inspector" }), ` ${ROLE_LABELS[r]}`)) };
  const create = guard(async () => {
    const roles = f.roles.map((b) => b.firstChild).filter((c) => c.checked).map((c) => c.value);
    if (!f.username.value.trim() || !f.name.value.trim()) throw new Error("请填写用户名和姓名。");
    await postJSON("/api/v1/users", { username: f.username.value.trim(), display_name: f.name.value.trim(),
      department_id: Number(f.dept.value), password: f.password.value, roles });
    await reload();
  });
  // The office sees every department's accounts: a filter by department keeps the list short.
  const shown = Number(sessionStorage.getItem("office.user_dept")) || null;
  const filter = h("select", { id: "users-dept" }, h("option", { value: "" }, "全部部门"),
    depts.filter((d) => page.items.some((u) => u.department_id === d.id)).map((d) => h("option", { value: d.id, selected: d.id === shown }, d.name)));
  filter.addEventListener("change", () => { sessionStorage.setItem("office.user_dept", filter.value); reload(); });
  const listed = page.items.filter((u) => !shown || u.department_id === shown);
  return [hasRole("office_admin") ? h("div", { class: "toolbar" }, h("label", {}, "部门 ", filter)) : null,
  h("div", { class: "card form", id: "user-new" }, h("h2", {}, "新增用户"),
    h("div", { class: "row" }, h("label", {}, "用户名", f.username), h("label", {}, "姓名", f.name), h("label", {}, "部门", f.dept),
      h("label", {}, "初始密码", f.password)),
    h("div", { class: "cal-days" }, f.roles),
    h("p", {}, h("button", { type: "button", class: "primary", id: "user-create", onclick: create }, "新增用户"))),
  h("div", { class: "card" }, h("table", { class: "grid", id: "users" },
    h("thead", {}, h("tr", {}, ["用户名", "姓名", "部门", "角色", "状态", ""].map((t) => h("th", {}, t)))),
    h("tbody", {}, listed.map((u) => h("tr", { "data-user": u.username },
      h("td", {}, u.username), h("td", {}, u.display_name), h("td", {}, deptName[u.department_id] || ""),
      h("td", {}, u.roles.map((r) => ROLE_LABELS[r] || r).join("、") || "—"), h("td", {}, u.active ? "启用" : "停用"),
      h("td", {}, h("button", { type: "button", class: "link", "data-roles": u.id, onclick: setRoles(u) }, "角色"),
        h("button", { type: "button", class: "link", "data-reset": u.id, onclick: resetPassword(u) }, "重置密码"),
        h("button", { type: "button", class: "link", "data-active": u.id, onclick: setActive(u) }, u.active ? "停用" : "启用"),
        h("a", { href: `#office/devices`, onclick: () => sessionStorage.setItem("office.device_user", u.id) }, "设备")))))))];
}

// --- devices ---------------------------------------------------------------------------------

async function devices(reload, guard) {
  const page = await getJSON("/api/v1/users?limit=500");
  const who = Object.fromEntries(page.items.map((u) => [u.id, u]));
  const picked = Number(sessionStorage.getItem("office.device_user")) || null;
  const select = h("select", { id: "device-user" }, h("option", { value: "" }, "全部用户"),
    page.items.map((u) => h("option", { value: u.id, selected: u.id === picked }, `${u.display_name}（${u.username}）`)));
  select.addEventListener("change", () => { sessionStorage.setItem("office.device_user", select.value); reload(); });
  const list = await getJSON(`/api/v1/devices${picked ? `?user_id=${picked}` : ""}`);
  const revoke = (d) => guard(async () => {
    const reason = await confirmAction({ title: "停用设备（手机丢失）", reason: "停用原因", ok: "停用", danger: true,
      text: `停用“${d.name}”（${(who[d.user_id] || {}).display_name || ""}）：该设备下次联网即被拒绝并清除本机数据。本人可用新设备重新登录。` });
    if (!reason) return;
    await postJSON(`/api/v1/devices/${d.id}/revoke`, { reason });
    await reload();
  });
  return [h("div", { class: "toolbar" }, h("label", {}, "用户 ", select)),
    h("div", { class: "card" }, list.length ? h("table", { class: "grid", id: "devices" },
      h("thead", {}, h("tr", {}, ["设备", "用户", "首次登录", "最近联网", "状态", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, list.map((d) => h("tr", { "data-device": d.id }, h("td", {}, d.name || "未命名设备", h("div", { class: "hash" }, `设备标识 ${d.device_id}`)),
        h("td", {}, (who[d.user_id] || {}).display_name || ""), h("td", {}, fmtTime(d.created_at)), h("td", {}, fmtTime(d.last_seen_at)),
        h("td", {}, d.revoked_at ? `已停用（${d.revoke_reason || ""}）` : "使用中"),
        h("td", {}, d.revoked_at ? null : h("button", { type: "button", class: "danger", "data-revoke": d.id, onclick: revoke(d) }, "停用"))))))
      : h("p", { class: "muted" }, "没有设备。"))];
}

// --- departments -------------------------------------------------------------------------------

async function departments(reload, guard) {
  const list = await getJSON("/api/v1/departments");
  const f = { code: h("input", { id: "dept-code", placeholder: "如 sljj" }), name: h("input", { id: "dept-name", placeholder: "如 忻州市水利局" }),
    region: h("input", { id: "dept-region", value: "140900" }),
    level: h("select", { id: "dept-level" }, h("option", { value: "city" }, "市级"), h("option", { value: "county" }, "县级")) };
  const create = guard(async () => {
    await postJSON("/api/v1/departments", { code: f.code.value.trim(), name: f.name.value.trim(), level: f.level.value,
      region_code: f.region.value.trim() });
    await reload();
  });
  return [h("div", { class: "card" }, h("table", { class: "grid", id: "departments" },
    h("thead", {}, h("tr", {}, ["代码", "名称", "层级", "行政区划代码", ""].map((t) => h("th", {}, t)))),
    h("tbody", {}, list.map((d) => h("tr", {}, h("td", {}, d.code), h("td", {}, d.name), h("td", {}, d.level === "county" ? "县级" : "市级"),
      h("td", {}, d.region_code), h("td", {}, d.is_office ? "领导小组办公室" : "")))))),
  h("div", { class: "card form" }, h("h2", {}, "新增部门"), h("div", { class: "row" },
    h("label", {}, "代码", f.code), h("label", {}, "名称", f.name), h("label", {}, "层级", f.level), h("label", {}, "行政区划代码", f.region)),
    h("button", { type: "button", class: "primary", id: "dept-create", onclick: create }, "新增"))];
}
