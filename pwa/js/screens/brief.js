// Visit brief: the business, what to check, what papers to ask for, earlier results.
import { h, mount, setTitle, section, dl, toast } from '../ui.js';
import { load, stepNav, sealedBanner, closedBanner, deptName, sealed } from '../model.js';
import { STATUS_LABELS, beijing } from '../util.js';
import { REVIEW_LABELS, commentNotes, reviewEntries, sentBack, shortDept } from '../review.js';

/** The review of a sealed record: each department's state, the reviewer's overall comments, and the
 *  way to 补正 when it was sent back. */
function reviewCard(visit, id) {
  const rows = reviewEntries(visit);
  if (!visit.record.sealed) return null;
  const amendments = visit.record.amendments || [];
  return section('审核情况',
    rows.length ? h('ul', { class: 'plain review-states' }, rows.map((r) => h('li', { 'data-department': r.department_code },
      `${shortDept(r.department_name)}：`, h('span', { class: `badge review ${r.status}` }, REVIEW_LABELS[r.status] || '审核中'))))
      : h('p', {}, '记录已封存，等待同步后进入审核。'),
    commentNotes(visit, 'general'),
    (visit.record.review_comments || []).some((c) => c.target !== 'general')
      ? h('p', { class: 'hint' }, '针对具体要点、问题或照片的意见显示在相应位置，也汇总在“补正”页。') : null,
    amendments.length ? h('p', { class: 'muted' }, `已提交补正 ${amendments.length} 次${amendments.some((a) => a.local) ? '（有待同步的补正）' : `，最近一次 ${beijing(amendments[amendments.length - 1].at)}`}`) : null,
    h('a', { class: `button ${sentBack(visit) ? 'primary big' : 'secondary'}`, href: `#/visit/${id}/amend` }, sentBack(visit) ? '按审核意见补正' : '提交补正'));
}

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
    reviewCard(visit, id),
    section('检查对象',
      dl([['名称', o.name], ['统一社会信用代码', o.credit_code], ['法定代表人', o.legal_rep_name], ['电话', o.phone],
        ['行业', o.industry], ['所在地', o.region_name], ['状态', STATUS_LABELS[visit.status]]]),
      h('p', { class: 'address' }, address), h('div', { class: 'row' }, copy, map)),
    section('日程与检查组',
      dl([['日期', visit.schedule.date], ['时间', `${visit.schedule.time_from || ''}–${visit.schedule.time_to || ''}`],
        ['任务', `${task.name}（${task.code}）`]]),
      h('ul', { class: 'plain' }, visit.team.map((m) => h('li', {}, `${m.name}（${deptName(task, m.department_id)}${m.role === 'leader' ? '，组长' : ''}）`)))),
    section('检查事项', h('ol', { class: 'plain' }, task.items.map((i) =>
      h('li', {}, h('strong', {}, i.name), h('br'), `${deptName(task, i.department_id)} · ${i.checkpoints.length} 个要点`,
        i.checkpoints.map((cp) => commentNotes(visit, `answer:${i.item_id}:${cp.key}`)))))),
    section('请对方准备的材料', docs.length ? h('ul', { class: 'plain' }, docs.map((d) => h('li', {}, d))) : h('p', {}, '无')),
    section('以往公示的检查结果', o.previous_results?.length
      ? h('ul', { class: 'plain' }, o.previous_results.map((r) => h('li', {}, `${r.date || ''} ${r.task || ''}：${r.result || ''}`)))
      : h('p', {}, '无以往结果')),
    sealed(visit) ? null : h('a', { class: 'button primary big', href: `#/visit/${id}/site` }, '开始现场检查'),
  );
}
