// Pure helpers of the reviewer screen: its own labels, time and GPS formatting (the element
// builder and the labels the phone shows too are in /shared/).
export const REVIEW_STATUS_LABELS = { pending: "待审核", returned: "已退回检查组", evidence_requested: "待补充证据",
  approved: "已录入结果", published: "已公示", withheld: "经批准不予公示" };
export const DEADLINE_LABELS = { ok: "未到期", due_soon: "临近截止", overdue: "已逾期", unknown: "日历缺失", done: "已录入" };
export const ACTION_LABELS = {
  "visit.seal": "封存记录", "visit.amendment": "补正", "review.approve": "审核通过", "review.return": "退回检查组",
  "review.evidence": "要求补充证据", "review.resubmit": "补正后重新提交审核", "result.publish": "公示", "result.withhold_request": "申请不予公示",
  "result.withhold_approve": "批准不予公示", "result.withhold_reject": "驳回不予公示", "visit.signature": "签名",
  "draw.commit": "抽取承诺", "draw.reveal": "公布随机数、完成抽取", "visit.arrive": "到达现场", "visit.outcome": "填写检查结果",
};

export function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false, year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit" });
}

export function gpsText(g) {
  if (!g || typeof g.lat !== "number" || typeof g.lon !== "number") return "—";
  return `${g.lat.toFixed(5)}, ${g.lon.toFixed(5)}`;
}

export function distanceM(a, b) {
  if (!a || !b || typeof a.lat !== "number" || typeof b.lat !== "number") return null;
  const R = 6371000, rad = Math.PI / 180;
  const dlat = (b.lat - a.lat) * rad, dlon = (b.lon - a.lon) * rad;
  const x = Math.sin(dlat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dlon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(x));
}

export function mapUrl(g) {
  const lat = g.lat.toFixed(6), lon = g.lon.toFixed(6);
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=17/${lat}/${lon}`;
}

/** Result codes in words: "A 发现问题待后续处理；5 违反其他部门相关规定". */
export const resultText = (labels) => (labels || []).map((o) => `${o.code} ${o.label}`).join("；");
