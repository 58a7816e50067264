// Today / upcoming visits, by schedule.
import { h, mount, setTitle } from '../ui.js';
import { entities, unsent } from '../store.js';
import { me, progressOf } from '../model.js';
import { STATUS_LABELS, today, km } from '../util.js';
import { reviewBadges, sentBack } from '../review.js';

let position = null;
function locate() {
  // Distance only where GPS is allowed and the object has coordinates.
  navigator.permissions?.query({ name: 'geolocation' }).then((p) => {
    if (p.state === 'granted') navigator.geolocation.getCurrentPosition((pos) => { position = pos.coords; }, () => {}, { maximumAge: 600000 });
  }).catch(() => {});
}

function distance(o) {
  if (!position || o.lat == null || o.lon == null) return null;
  const R = 6371, rad = Math.PI / 180;
  const dLat = (o.lat - position.latitude) * rad, dLon = (o.lon - position.longitude) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(position.latitude * rad) * Math.cos(o.lat * rad) * Math.sin(dLon / 2) ** 2;
  return km(2 * R * Math.asin(Math.sqrt(a)));
}

export async function render() {
  setTitle('检查任务');
  locate();
  const [visits, tasks, meRow, outbox] = await Promise.all([entities('visit'), entities('task'), me(), unsent()]);
  const taskById = Object.fromEntries(tasks.map((t) => [t.id, t]));
  const queued = (id) => outbox.filter((m) => m.visit_id === id).length;
  visits.sort((a, b) => `${a.schedule.date}${a.schedule.time_from}`.localeCompare(`${b.schedule.date}${b.schedule.time_from}`));
  const day = today();
  const groups = [
    ['今天', visits.filter((v) => v.schedule.date === day && v.status !== 'sealed')],
    ['即将进行', visits.filter((v) => (v.schedule.date || '9999') > day && v.status !== 'sealed')],
    ['逾期未完成', visits.filter((v) => v.schedule.date && v.schedule.date < day && v.status !== 'sealed')],
    ['退回待补正', visits.filter((v) => v.status === 'sealed' && sentBack(v))],
    ['已封存', visits.filter((v) => v.status === 'sealed' && !sentBack(v))],
  ];
  const card = (v) => {
    const t = taskById[v.task_id];
    const p = progressOf(v, t);
    const dist = distance(v.object);
    return h('li', {}, h('a', { class: 'visit-card', href: `#/visit/${v.id}`, 'data-visit': v.id },
      h('strong', { class: 'name' }, v.object.name),
      h('span', {}, `${v.schedule.date || '未排期'} ${v.schedule.time_from || ''}–${v.schedule.time_to || ''}`),
      h('span', {}, v.object.business_address || v.object.registered_address),
      h('span', { class: 'meta' },
        h('span', { class: `badge ${v.status}` }, STATUS_LABELS[v.status] || '未知状态'),
        ...reviewBadges(v),
        v.status === 'sealed' ? '' : ` 要点 ${p.answered}/${p.total}`, dist ? ` · ${dist}` : '', queued(v.id) ? ` · 待发送 ${queued(v.id)}` : '',
        v.object_closed && v.status !== 'sealed' ? h('span', { class: 'badge warn' }, `对象已${v.object_closed.status_label}`) : '')));
  };
  const who = meRow ? h('p', { class: 'muted' }, `${meRow.display_name} · ${meRow.department.name}`) : null;
  const body = groups.filter(([, list]) => list.length).map(([title, list]) =>
    h('section', { class: 'group' }, h('h2', {}, `${title}（${list.length}）`), h('ul', { class: 'cards' }, list.map(card))));
  mount(who, ...(body.length ? body : [h('p', { class: 'card' }, '本机还没有检查任务。联网后点“同步”下载。')]));
}
