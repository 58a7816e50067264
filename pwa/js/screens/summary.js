// The summary the party (or the witness) reads and signs: how the check was done and with what
// evidence, the checkpoints actually answered (never a list of "未填写"), the findings, and for an
// Art. 21 case the facts of it (what was refused and how; the address checked, the calls made,
// the neighbours asked; the documents) with the evidence list. Mirrors server/review/pdf_sections.
import { h, section, dl } from '../ui.js';
import { deptName, memberName, methodOf } from '../model.js';
import { MEASURE_LABELS, hhmm } from '../util.js';
import { FACT_LABELS, METHOD_LABELS, VALUE_LABELS } from '/shared/labels.js';

const METHOD_FIELDS = { documents_received: '收到的书面材料', urls: '检查的网址', body: '专业机构', report_no: '报告编号',
  authority: '作出结论的部门', document: '结论文书', document_date: '文书日期' };
const when = (iso) => (iso ? `${iso.slice(0, 10)} ${hhmm(iso)}` : null);

export function summary(ctx) {
  const { visit, task, me } = ctx;
  const r = visit.record;
  const label = (c) => me.result_codes.find((x) => x.code === c)?.label || c;
  const method = methodOf(visit);
  const methodLabel = METHOD_LABELS[method] || method;
  const c = r.outcome?.case;
  const caseRule = c ? (me.outcomes || []).find((o) => o.code === c) : null;
  const evidenceMedia = r.media.filter((m) => m.kind !== 'signature');
  const details = r.method_details || {};
  const answered = task.items.flatMap((i) => i.checkpoints.map((cp) => [cp, r.answers[`${i.item_id}:${cp.key}`], i.department_id]))
    .filter(([, a]) => a && a.value != null && a.value !== '');
  // A joint check: every department's section, with who entered it (handed over or synced).
  const depts = [...new Set(answered.map(([, , d]) => d))];
  const byName = (uid) => visit.team.find((m) => m.user_id === uid)?.name || '组员';
  const line = ([cp, a]) => h('li', {}, h('span', {}, cp.prompt),
    h('strong', {}, VALUE_LABELS[a.value] || a.value), a.note ? h('span', { class: 'muted' }, `（${a.note}）`) : null);
  return section('检查记录摘要',
    dl([['检查对象', visit.object.name], ['统一社会信用代码', visit.object.credit_code], ['检查方式', methodLabel],
      ['到达时间', r.arrival ? when(r.arrival.at) : null],
      [method === 'onsite' ? '在场执法人员' : '实施检查的执法人员', r.present.map((i) => memberName(visit, i)).join('、') || '—'],
      ['出示证件', r.credentials_shown_at ? hhmm(r.credentials_shown_at) : null],
      ['告知权利义务', r.rights_informed_at ? hhmm(r.rights_informed_at) : null],
      ...Object.entries(METHOD_FIELDS).map(([k, l]) => [l, k === 'urls' ? (details.urls || []).join('\n') || null : details[k]]),
      ['检查结束时间', when(r.check_ended_at)]]),
    caseRule ? [h('h3', {}, `第二十一条情形：${caseRule.label}`),
      dl(Object.entries(FACT_LABELS).map(([k, l]) => [l, r.outcome.evidence?.[k]]))] : null,
    answered.length ? [h('h3', {}, `检查要点（已检查 ${answered.length} 项）`),
      depts.length > 1 ? depts.map((d) => {
        const rows = answered.filter(([, , x]) => x === d);
        const who = [...new Set(rows.map(([, a]) => a.by).filter((u) => u != null))].map(byName).join('、');
        return h('div', { class: 'dept-section', 'data-department': String(d) },
          h('h4', {}, `${deptName(task, d)}${who ? ` · 录入：${who}` : ''}`), h('ol', { class: 'summary-list' }, rows.map(line)));
      }) : h('ol', { class: 'summary-list' }, answered.map(line))] : null,
    r.findings.length ? [h('h3', {}, `发现问题（${r.findings.length}）`),
      h('ol', { class: 'summary-list' }, r.findings.map((f) => h('li', {}, f.description,
        f.measures.length ? `；措施：${f.measures.map((m) => MEASURE_LABELS[m]).join('、')}` : '')))] : null,
    h('h3', {}, '证据清单'),
    h('p', { class: 'evidence-list' }, evidenceMedia.length
      ? `照片、视频与材料 ${evidenceMedia.length} 个（均以 SHA-256 指纹固定）` : '无照片或视频'),
    h('h3', {}, '检查结果'),
    h('p', { class: 'big-text' }, r.outcome ? r.outcome.codes.map(label).join('、') : '未填写'));
}
