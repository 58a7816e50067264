// What the sign screen shows of a joint team's handoff: the member's way to hand over (and whether
// it changed since), the leader's sections received, and content mismatches found by the server.
import { h, section } from './ui.js';
import { deptName, isLeader, sealed } from './model.js';
import { handoverState, isJoint, receivedSections } from './handoff.js';
import { hhmm } from './util.js';
import { VALUE_LABELS } from '/shared/labels.js';

export async function handoffCard(ctx) {
  const { visit, task, me } = ctx;
  if (!isJoint(visit) || sealed(visit)) return null;
  if (isLeader(visit, me)) {
    const got = await receivedSections(visit.id);
    const members = visit.team.filter((m) => m.role !== 'leader');
    return section('联合检查：组员交接',
      h('p', {}, '无网络时，组员将本部门的检查内容以二维码交给本机，当事人一并签名。'),
      h('ul', { class: 'plain handoffs' }, members.map((m) => {
        const s = got[m.user_id];
        return h('li', { class: s ? 'got' : 'waiting' }, `${deptName(task, m.department_id)} ${m.name}：`,
          s ? `已交接（第 ${s.seq} 次，${hhmm(s.handed_at)}，${s.count} 条）✔` : '尚未交接（联网同步后也可）');
      })),
      h('a', { class: 'button primary big', href: `#/visit/${visit.id}/scan` }, '扫描组员交接码'));
  }
  const st = await handoverState(visit.id);
  const line = !st.last ? (st.pending ? `本机有 ${st.pending} 条本部门记录尚未交给组长。` : '本机没有尚未同步的本部门记录。')
    : st.changed ? `第 ${st.last.seq} 次交接（${hhmm(st.last.handed_at)}）之后本机又有修改，请重新交接。`
      : `已于 ${hhmm(st.last.handed_at)} 交接给组长（第 ${st.last.seq} 次，${st.last.count} 条记录）。`;
  return section('联合检查：向组长交接',
    h('p', { class: st.changed ? 'banner warn' : st.last ? 'banner ok' : '', role: 'status' }, line),
    h('p', { class: 'hint' }, '由组长的手机汇总各部门内容，请当事人签名。'),
    st.pending ? h('a', { class: 'button primary big', href: `#/visit/${visit.id}/handover` }, st.last ? '重新交接（二维码）' : '向组长交接（二维码）') : null);
}

function what(task, field) {
  const m = /^answers\.(\d+):(.+)$/.exec(field);
  if (m) {
    const cp = task.items.find((i) => i.item_id === +m[1])?.checkpoints.find((c) => c.key === m[2]);
    return `检查要点“${cp ? cp.prompt : m[2]}”`;
  }
  if (field.startsWith('findings.')) return '发现的问题';
  if (field.startsWith('media.')) return '照片/视频';
  return '交接的记录';
}

const shown = (v) => (v == null ? '无' : v.value !== undefined ? `${VALUE_LABELS[v.value] || v.value}${v.note ? `（${v.note}）` : ''}`
  : v.description || v.sha256?.slice(0, 12) || '已修改');

/** The server found a member's phone sending something other than what the party signed. */
export function mismatchBanner(ctx) {
  const { visit, task } = ctx;
  const list = visit.record.content_mismatches || [];
  if (!list.length) return null;
  const by = (uid) => visit.team.find((m) => m.user_id === uid)?.name || `用户 ${uid}`;
  return h('div', { class: 'banner warn content-mismatch', role: 'alert' },
    h('p', {}, `内容不一致 ${list.length} 处：组员手机提交的内容与当事人签名的内容不同（签名内容不变，双方内容均已记录，请联系审核人员处理）。`),
    h('ul', {}, list.map((x) => h('li', {}, `${what(task, x.field)}：签名时为“${shown(x.signed)}”，${by(x.member_user_id)}的手机后来提交“${shown(x.arrived)}”`))));
}
