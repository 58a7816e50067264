// Visit brief: the business, what to check, what papers to ask for, earlier results.
import { h, mount, setTitle, section, dl, toast } from '../ui.js';
import { load, stepNav, sealedBanner, closedBanner, deptName, sealed } from '../model.js';
import { STATUS_LABELS } from '../util.js';

export async function render({ id }) {
  const ctx = await load(id);
  if (!ctx) { location.hash = '#/'; return; }
  const { visit, task } = ctx;
  const o = visit.object;
  setTitle(o.name, '#/');
  const address = o.business_address || o.registered_address || '';
  const copy = h('button', { type: 'button', class: 'secondary', onclick: async () => {
    try { await navigator.clipboard.writeText(address); toast('地址已复制'); } catch { toast('无法复制，请长按地址选择文字', 'error'); }
  } }, '复制地址');
  const map = h('a', { class: 'button secondary', href: `https://uri.amap.com/search?keyword=${encodeURIComponent(address)}`, target: '_blank', rel: 'noopener' }, '在地图中打开');
  const docs = [...new Set(task.items.flatMap((i) => i.documents_to_request || []))];
  mount(
    stepNav(visit, ''),
    sealedBanner(visit),
    closedBanner(visit),
    section('检查对象',
      dl([['名称', o.name], ['统一社会信用代码', o.credit_code], ['法定代表人', o.legal_rep_name], ['电话', o.phone],
        ['行业', o.industry], ['所在地', o.region_name], ['状态', STATUS_LABELS[visit.status]]]),
      h('p', { class: 'address' }, address), h('div', { class: 'row' }, copy, map)),
    section('日程与检查组',
      dl([['日期', visit.schedule.date], ['时间', `${visit.schedule.time_from || ''}–${visit.schedule.time_to || ''}`],
        ['任务', `${task.name}（${task.code}）`]]),
      h('ul', { class: 'plain' }, visit.team.map((m) => h('li', {}, `${m.name}（${deptName(task, m.department_id)}${m.role === 'leader' ? '，组长' : ''}）`)))),
    section('检查事项', h('ol', { class: 'plain' }, task.items.map((i) =>
      h('li', {}, h('strong', {}, i.name), h('br'), `${deptName(task, i.department_id)} · ${i.checkpoints.length} 个要点`)))),
    section('请对方准备的材料', docs.length ? h('ul', { class: 'plain' }, docs.map((d) => h('li', {}, d))) : h('p', {}, '无')),
    section('以往公示的检查结果', o.previous_results?.length
      ? h('ul', { class: 'plain' }, o.previous_results.map((r) => h('li', {}, `${r.date || ''} ${r.task || ''}：${r.result || ''}`)))
      : h('p', {}, '无以往结果')),
    sealed(visit) ? null : h('a', { class: 'button primary big', href: `#/visit/${id}/site` }, '开始现场检查'),
  );
}
