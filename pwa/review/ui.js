// Small pieces every desk screen uses: the confirmation dialog, downloads, the view switch.
import { h } from "/shared/dom.js";
import { api } from "./session.js";

export const $ = (sel) => document.querySelector(sel);

/** Ask before an action that cannot be taken back. `reason`: a required text field (its label);
 *  resolves to the text typed (or true) when confirmed, null when cancelled. `check()`: what is
 *  still wrong with the dialog's `extra` fields (a sentence), or nothing; the dialog stays open. */
export function confirmAction({ title, text, ok = "确定", reason = null, minLength = 2, danger = false, extra = null, check = null }) {
  return new Promise((resolve) => {
    const field = reason ? h(/密码/.test(reason) ? "input" : "textarea", { id: "confirm-reason", rows: 3, placeholder: reason,
      type: /密码/.test(reason) ? "password" : null, autocomplete: "new-password" }) : null;
    const err = h("p", { class: "error", role: "alert" });
    const dlg = h("dialog", { class: "confirm", id: "confirm-dialog" },
      h("h2", {}, title), h("p", {}, text), extra ? h("div", { class: "cal-days" }, extra) : null,
      reason ? h("label", {}, reason, field) : null, err,
      h("div", { class: "dialog-buttons" },
        h("button", { type: "button", id: "confirm-cancel", onclick: () => { dlg.close(); resolve(null); } }, "取消"),
        h("button", { type: "button", id: "confirm-ok", class: danger ? "danger" : "primary", onclick: () => {
          if (field && field.value.trim().length < minLength) { err.textContent = `请填写${reason}（至少 ${minLength} 个字）。`; return; }
          const wrong = check && check();
          if (wrong) { err.textContent = wrong; return; }
          dlg.close();
          resolve(field ? field.value.trim() : true);
        } }, ok)));
    dlg.addEventListener("cancel", () => resolve(null));
    dlg.addEventListener("close", () => dlg.remove());
    document.body.append(dlg);
    dlg.showModal();
  });
}

/** Fetch a file with the session's token and hand it to the browser as a download. */
export async function download(path, filename) {
  const r = await api(path);
  const url = URL.createObjectURL(await r.blob());
  const a = h("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}

/** Show one `<section id="<name>-view">` of <main>, hide the others, mark the nav link. */
export function showView(name) {
  for (const s of document.querySelectorAll("main > section[id$='-view']")) s.hidden = s.id !== `${name}-view`;
  $("#nav").hidden = $("#who").hidden = name === "login";
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.view === name);
}

/** A <section id="<name>-view"> of <main>, made once by the screen's module. */
export function section(name) {
  let s = document.getElementById(`${name}-view`);
  if (!s) {
    s = h("section", { id: `${name}-view`, hidden: true });
    $("#app").append(s);
  }
  return s;
}

export const fmtDate = (iso) => (iso ? String(iso).slice(0, 10) : "—");
/** What went wrong, for a person: a problem's own field messages (they name the field in words)
 *  rather than its general "see the fields" sentence. */
export function errorText(e) {
  const fields = [...new Set(((e && e.problem && e.problem.errors) || []).map((x) => x && x.message).filter(Boolean))];
  return fields.length ? fields.join("；") : (e && e.message) || "操作失败";
}
