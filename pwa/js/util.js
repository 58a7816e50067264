// Small helpers: Beijing times (what the phone records and shows), sizes, Chinese labels of the phone's own codes
// (those the review desk shows too are in /shared/labels.js).
/** Now, as Beijing wall time with its offset (+08:00), whatever zone the phone is set to: the
 *  same instant, written as the summary, the reviewer and the party read it. */
export function isoNow() {
  const d = new Date(Date.now() + 8 * 3600000);
  return `${d.toISOString().slice(0, 19)}+08:00`;
}

// Times are shown in Beijing time wherever the phone is set (a server time is UTC; a record
// made elsewhere or by an older app version may carry another offset).
const BEIJING = 'Asia/Shanghai';
function beijingParts(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return null;
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: BEIJING, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(d);
  return Object.fromEntries(parts.map((p) => [p.type, p.value]));
}

/** "HH:MM" in Beijing time. */
export function hhmm(iso) {
  if (!iso) return '';
  const p = beijingParts(iso);
  return p ? `${p.hour}:${p.minute}` : iso;
}

/** "YYYY-MM-DD HH:MM" in Beijing time. */
export function beijing(iso) {
  if (!iso) return '';
  const p = beijingParts(iso);
  return p ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}` : iso;
}

export function when(iso) {
  if (!iso) return '从未';
  const p = beijingParts(iso);
  return p ? `${+p.month}月${+p.day}日 ${p.hour}:${p.minute}` : iso;
}

/** A distance in kilometres (one decimal; "<0.1 公里" close by). */
export function km(kilometres) {
  if (kilometres == null || Number.isNaN(kilometres)) return null;
  return kilometres < 0.1 ? '<0.1 公里' : `${kilometres.toFixed(kilometres < 100 ? 1 : 0)} 公里`;
}

export function bytes(n) {
  if (n == null) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1073741824) return `${(n / 1048576).toFixed(1)} MB`;
  return `${(n / 1073741824).toFixed(2)} GB`;
}

/** Today's date in Beijing (YYYY-MM-DD), for the schedule. */
export function today() {
  const p = beijingParts(new Date().toISOString());
  return `${p.year}-${p.month}-${p.day}`;
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
