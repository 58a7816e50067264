// Team leader: the team's visits and their progress, and rescheduling.
import { h, mount, setTitle, section, field } from '../ui.js';
import { entities } from '../store.js';
import { me as loadMe, progressOf, isLeader } from '../model.js';
import { enqueue } from '../outbox.js';
import { STATUS_LABELS } from '../util.js';

export async function render() {
  setTitle('检查组');
  const [visits, tasks, me] = await Promise.all([entities('visit'), entities('task'), loadMe()]);
  const taskById = Object.fromEntries(tasks.map((t) => [t.id, t]));
  const led = visits.filter((v) => isLeader(v, me)).sort((a, b) => (a.schedule.date || '').localeCompare(b.schedule.date || ''));
  if (!led.length) { mount(h('p', { class: 'card' }, '您不是任何检查组的组长。组长可在此查看进度并调整日程。')); return; }
  const done = led.filter((v) => v.status === 'sealed').length;
  mount(
    h('p', { class: 'progress-line' }, `您担任组长的检查 ${led.length} 户，已封存 ${done} 户`),
    unsealedCard(led),
    ...led.map((v) => {
      const p = progressOf(v, taskById[v.task_id]);
      const date = h('input', { type: 'date', value: v.schedule.date || '' });
      const from = h('input', { type: 'time', value: v.schedule.time_from || '' });
      const to = h('input', { type: 'time', value: v.schedule.time_to || '' });
      const err = h('p', { class: 'error', role: 'alert' });
      const warn = (v.schedule.conflicts || []).map((c) => h('p', { class: 'banner warn' }, c.message));
      return section(v.object.name,
        h('p', {}, h('span', { class: `badge ${v.status}` }, STATUS_LABELS[v.status]), ` 要点 ${p.answered}/${p.total}`,
          v.evidence_pending ? ' · 证据文件未到齐' : ''),
        h('progress', { max: p.total || 1, value: p.answered, 'aria-label': '填写进度' }),
        warn,
        v.status === 'sealed' ? null : h('details', {}, h('summary', {}, `调整日程（${v.schedule.date || '未排期'} ${v.schedule.time_from || ''}–${v.schedule.time_to || ''}）`),
          h('div', { class: 'field-grid' }, field('日期', date), field('开始', from), field('结束', to)), err,
          h('button', { type: 'button', class: 'primary', onclick: async () => {
            if (!date.value) { err.textContent = '请选择日期。'; return; }
            if (from.value && to.value && to.value <= from.value) { err.textContent = '结束时间须晚于开始时间。'; return; }
            await enqueue(v.id, 'schedule.set', { visit_id: v.id, date: date.value, time_from: from.value || null, time_to: to.value || null });
            render();
          } }, '保存日程')),
        h('a', { class: 'button secondary', href: `#/visit/${v.id}` }, '查看'));
    }));
}

/** Visits checked (ended, or at least arrived) and not sealed: the 20 working days already run
 *  from the day of the check (server: GET /api/v1/visits/unsealed for the back office). */
function unsealedCard(led) {
  const day = (iso) => (iso ? iso.slice(0, 10) : null);
  const today = new Date();
  const rows = led.filter((v) => v.status !== 'sealed' && !v.record?.sealed)
    .map((v) => ({ v, on: day(v.record?.check_ended_at) || day(v.record?.arrival?.at) }))
    .filter((r) => r.on)
    .map((r) => ({ ...r, days: Math.floor((today - new Date(`${r.on}T00:00:00`)) / 86400000) }))
    .sort((a, b) => b.days - a.days);
  if (!rows.length) return null;
  return section('已检查未封存', h('p', { class: 'hint' }, '检查结果须在检查完成之日起 20 个工作日内录入，请尽快签名封存并同步。'),
    h('ul', { class: 'plain unsealed' }, rows.map(({ v, on, days }) => h('li', {},
      h('a', { href: `#/visit/${v.id}/sign` }, v.object.name), `：${on} 检查，已过 ${days} 天${v.record.check_ended_at ? '' : '（未记录检查结束）'}`))));
}
