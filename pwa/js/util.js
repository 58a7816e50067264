// Small helpers: local times with offset, sizes, Chinese labels of the phone's own codes
// (those the review desk shows too are in /shared/labels.js).
export function isoNow() {
  const d = new Date();
  const off = -d.getTimezoneOffset();
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const local = new Date(d.getTime() + off * 60000).toISOString().slice(0, 19);
  return `${local}${off >= 0 ? '+' : '-'}${pad(off / 60)}:${pad(off % 60)}`;
}

export function hhmm(iso) {
  if (!iso) return '';
  const m = /T(\d\d:\d\d)/.exec(iso);
  return m ? m[1] : iso;
}

export function when(iso) {
  if (!iso) return '从未';
  const d = new Date(iso);
  return `${d.getMonth() + 1}月${d.getDate()}日 ${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

export function bytes(n) {
  if (n == null) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1073741824) return `${(n / 1048576).toFixed(1)} MB`;
  return `${(n / 1073741824).toFixed(2)} GB`;
}

export function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export const STATUS_LABELS = { not_started: '未开始', in_progress: '进行中', sealed: '已封存', withdrawn: '已撤回' };
export const MEASURE_LABELS = {
  onsite_record: '制作现场笔录', preliminary_evidence: '初步提取证据', order_stop: '责令停止违法活动', urge_rectify: '督促整改',
};
export const MUTATION_LABELS = {
  'visit.arrive': '到达现场', 'visit.present': '在场执法人员', 'visit.credentials_shown': '出示执法证件',
  'visit.rights_informed': '告知权利义务', 'answer.set': '检查要点', 'finding.add': '发现问题', 'finding.update': '修改问题',
  'media.attach': '照片/视频', 'outcome.set': '检查结果', 'signature.capture': '签名', 'visit.seal': '封存记录',
  'schedule.set': '调整日程', 'amendment.add': '补正', 'visit.method': '检查方式', 'visit.end_check': '检查结束',
};
export const APP_VERSION = 'pwa-1';
