// Team leader: the week's visits (reschedule several at once, conflicts named by person), each
// visit's members and their sections (department, handed over, synced, complete).
import { h, mount, setTitle, section, field } from '../ui.js';
import { entities } from '../store.js';
import { me as loadMe, progressOf, isLeader, deptName } from '../model.js';
import { enqueue } from '../outbox.js';
import { STATUS_LABELS, beijing, today, when } from '../util.js';
import { reviewBadges } from '../review.js';
import { serverSections, localHandovers } from '../sections.js';
import '../handoff.js'; // registers the sections this phone received by QR code

const WEEKDAYS = ['周一', '周二', '周三', '周四', '周五', '周六', '周日'];
let weekStart = null; // YYYY-MM-DD, a Monday
let picked = new Set();

const addDays = (iso, n) => {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
};
const mondayOf = (iso) => addDays(iso, -((new Date(`${iso}T00:00:00Z`).getUTCDay() + 6) % 7));
const slot = (s) => (s.time_from || s.time_to ? `${s.time_from || ''}–${s.time_to || ''}` : '全天');
const overlap = (a, b) => (a.time_from || '00:00') < (b.time_to || '23:59') && (b.time_from || '00:00') < (a.time_to || '23:59');

/** Clashes among the leader's own visits on this phone (including changes not yet synced), by person. */
function localClashes(visits) {
  const out = new Map();
  for (let i = 0; i < visits.length; i += 1) {
    for (let j = i + 1; j < visits.length; j += 1) {
      const a = visits[i], b = visits[j];
      if (!a.schedule.date || a.schedule.date !== b.schedule.date || !overlap(a.schedule, b.schedule)) continue;
      const bIds = new Set(b.team.map((m) => m.inspector_id));
      for (const m of a.team.filter((x) => bIds.has(x.inspector_id))) {
        for (const [v, other] of [[a, b], [b, a]]) {
          const list = out.get(v.id) || [];
          list.push(`${m.name || '一名执法人员'}同时安排在“${other.object.name}”（${slot(other.schedule)}）`);
          out.set(v.id, list);
        }
      }
    }
  }
  return out;
}

/** This week, or (when nothing of the leader's falls in it) the week of the next open visit. */
function firstWeek(led) {
  const now = mondayOf(today());
  const open = led.filter((v) => v.status !== 'sealed' && v.schedule.date);
  if (open.some((v) => mondayOf(v.schedule.date) === now)) return now;
  const next = open.find((v) => v.schedule.date >= now);
  return next ? mondayOf(next.schedule.date) : now;
}

export async function render() {
  setTitle('检查组');
  const [visits, tasks, me] = await Promise.all([entities('visit'), entities('task'), loadMe()]);
  const taskById = Object.fromEntries(tasks.map((t) => [t.id, t]));
  const led = visits.filter((v) => isLeader(v, me)).sort((a, b) => `${a.schedule.date || '9999'}${a.schedule.time_from || ''}`.localeCompare(`${b.schedule.date || '9999'}${b.schedule.time_from || ''}`));
  if (!led.length) { mount(h('p', { class: 'card' }, '您不是任何检查组的组长。组长可在此查看进度并调整日程。')); return; }
  if (!weekStart) weekStart = firstWeek(led);
  picked = new Set([...picked].filter((id) => led.some((v) => v.id === id && v.status !== 'sealed')));
  const done = led.filter((v) => v.status === 'sealed').length;
  const clashes = localClashes(led.filter((v) => v.status !== 'sealed'));

  const days = [...Array(7).keys()].map((i) => addDays(weekStart, i));
  const inWeek = led.filter((v) => days.includes(v.schedule.date));
  const unscheduled = led.filter((v) => !v.schedule.date && v.status !== 'sealed');
  const row = (v) => {
    const p = progressOf(v, taskById[v.task_id]);
    const open = v.status !== 'sealed';
    const warnings = [...(v.schedule.conflicts || []).map((c) => c.message), ...(clashes.get(v.id) || [])];
    return h('label', { class: 'pick', 'data-visit': v.id },
      open ? h('input', { type: 'checkbox', checked: picked.has(v.id), 'aria-label': `选择 ${v.object.name}`,
        onchange: (e) => { if (e.target.checked) picked.add(v.id); else picked.delete(v.id); renderBar(); } }) : null,
      h('span', {},
        h('strong', {}, v.object.name), h('br'),
        `${slot(v.schedule)} · `, h('span', { class: `badge ${v.status}` }, STATUS_LABELS[v.status] || '未知状态'), ...reviewBadges(v),
        open ? ` 要点 ${p.answered}/${p.total}` : '',
        v.evidence_pending ? h('span', { class: 'badge warn' }, '证据文件未到齐') : null,
        warnings.map((w) => h('span', { class: 'banner warn conflict', role: 'note' }, w))));
  };
  const week = h('div', { class: 'week' }, days.map((d, i) => {
    const list = inWeek.filter((v) => v.schedule.date === d);
    return h('div', { class: 'day', 'data-date': d }, h('h3', {}, `${WEEKDAYS[i]} ${+d.slice(5, 7)}月${+d.slice(8)}日${d === today() ? '（今天）' : ''}`),
      list.length ? list.map(row) : h('p', { class: 'muted' }, '无安排'));
  }), unscheduled.length ? h('div', { class: 'day' }, h('h3', {}, '未排期'), unscheduled.map(row)) : null);

  const date = h('input', { type: 'date', name: 'date' });
  const from = h('input', { type: 'time', name: 'time_from' });
  const to = h('input', { type: 'time', name: 'time_to' });
  const err = h('p', { class: 'error', role: 'alert' });
  const count = h('p', { class: 'progress-line', role: 'status' });
  const apply = h('button', { type: 'button', class: 'primary', onclick: async () => {
    err.textContent = '';
    if (!picked.size) { err.textContent = '请先勾选要调整的检查。'; return; }
    if (!date.value) { err.textContent = '请选择日期。'; return; }
    if (from.value && to.value && to.value <= from.value) { err.textContent = '结束时间须晚于开始时间。'; return; }
    for (const id of picked) {
      await enqueue(id, 'schedule.set', { visit_id: id, date: date.value, time_from: from.value || null, time_to: to.value || null });
    }
    picked = new Set();
    weekStart = mondayOf(date.value);
    render();
  } }, '调整所选日程');
  function renderBar() { count.textContent = picked.size ? `已选 ${picked.size} 户` : '勾选一户或多户后统一调整日程'; }
  renderBar();

  const nav = h('div', { class: 'row week-nav' },
    h('button', { type: 'button', class: 'secondary', onclick: () => { weekStart = addDays(weekStart, -7); render(); } }, '‹ 上一周'),
    h('button', { type: 'button', class: 'secondary', onclick: () => { weekStart = mondayOf(today()); render(); } }, '本周'),
    h('button', { type: 'button', class: 'secondary', onclick: () => { weekStart = addDays(weekStart, 7); render(); } }, '下一周 ›'));

  const members = await Promise.all(inWeek.concat(unscheduled).filter((v) => v.status !== 'sealed').map((v) => membersCard(v, taskById[v.task_id])));
  mount(
    h('p', { class: 'progress-line' }, `您担任组长的检查 ${led.length} 户，已封存 ${done} 户`),
    unsealedCard(led),
    section(`本周日程（${+days[0].slice(5, 7)}月${+days[0].slice(8)}日–${+days[6].slice(5, 7)}月${+days[6].slice(8)}日）`, nav, week),
    section('批量调整日程', count, h('div', { class: 'field-grid' }, field('日期', date), field('开始', from), field('结束', to)), err, apply),
    members,
  );
}

/** Each member: department, handed over (this phone), and what the server has: synced and complete. */
async function membersCard(v, task) {
  const [kept, handed] = await Promise.all([serverSections(v.id), localHandovers(v)]);
  const server = Object.fromEntries((kept?.rows || []).map((r) => [r.inspector_id, r]));
  return section(`${v.object.name} · 组员`,
    h('ul', { class: 'members' }, v.team.map((m) => {
      const s = server[m.inspector_id];
      const ho = handed[m.inspector_id] || s?.handover;
      const state = m.role === 'leader' ? '组长（本机）'
        : ho ? `已交接 ${when(ho.handed_over_at)}` : '未交接';
      const synced = !s ? '同步情况未知（联网后显示）' : s.last_push_at ? `最近上传 ${when(s.last_push_at)}`
        : s.last_pull_at ? `最近同步 ${when(s.last_pull_at)}，尚未上传` : '从未同步';
      const complete = s ? (s.checkpoints_total ? `服务器已收到本部门要点 ${s.checkpoints_answered}/${s.checkpoints_total}${s.complete ? '（已填完）' : ''}` : '本部门无检查要点') : '';
      return h('li', { 'data-inspector': m.inspector_id },
        h('strong', {}, m.name || '执法人员'), `（${deptName(task, m.department_id) || '所属部门'}）`,
        h('span', { class: 'state' }, `${state} · ${synced}`), complete ? h('span', { class: 'state' }, complete) : null);
    })),
    kept ? h('p', { class: 'hint' }, `服务器情况截至 ${when(kept.at)}`) : null,
    h('a', { class: 'button secondary', href: `#/visit/${v.id}` }, '查看'));
}

/** Visits checked (ended, or at least arrived) and not sealed: the 20 working days already run
 *  from the day of the check (server: GET /api/v1/visits/unsealed for the back office). */
function unsealedCard(led) {
  const day = (iso) => (iso ? beijing(iso).slice(0, 10) : null);
  const now = Date.parse(`${today()}T00:00:00Z`);
  const rows = led.filter((v) => v.status !== 'sealed' && !v.record?.sealed)
    .map((v) => ({ v, on: day(v.record?.check_ended_at) || day(v.record?.arrival?.at) }))
    .filter((r) => r.on)
    .map((r) => ({ ...r, days: Math.round((now - Date.parse(`${r.on}T00:00:00Z`)) / 86400000) }))
    .sort((a, b) => b.days - a.days);
  if (!rows.length) return null;
  return section('已检查未封存', h('p', { class: 'hint' }, '检查结果须在检查完成之日起 20 个工作日内录入，请尽快签名封存并同步。'),
    h('ul', { class: 'plain unsealed' }, rows.map(({ v, on, days }) => h('li', {},
      h('a', { href: `#/visit/${v.id}/sign` }, v.object.name), `：${on} 检查，已过 ${days} 天${v.record.check_ended_at ? '' : '（未记录检查结束）'}`))));
}
