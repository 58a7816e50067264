// Review and sign: the full summary in large type, the party's signature (name and
// GB 11643-checked ID number) or refusal with a witness, the inspectors' signatures,
// then the seal. Every signature is bound to the SHA-256 of the content shown.
import SignaturePad from '/vendor/signature_pad/signature_pad.js';
import { h, mount, setTitle, section, field, dl } from '../ui.js';
import { load, stepNav, sealedBanner, sealed, contentProblems, signatureProblems, partyNeeded, memberName, signerInspector } from '../model.js';
import { contentSha256 } from '../local.js';
import { enqueue, enqueueMany } from '../outbox.js';
import { idNumberProblem, sha256Hex, uuid } from '../ids.js';
import { MEASURE_LABELS, APP_VERSION, isoNow, hhmm } from '../util.js';
import { VALUE_LABELS, SIGNER_ROLE_LABELS } from '/shared/labels.js';

/** Sync does not re-render this screen: it holds unsaved input. */
export const noAutoRefresh = true;

class ContentChanged extends Error {
  constructor() { super('记录刚刚有更新（可能是组员修改），请重新核对摘要后再签名。'); }
}

/** Run a signing step; a changed record re-renders the summary with an explanation. */
async function guarded(err, fn, redo) {
  try { await fn(); redo(); } catch (e) {
    if (!(e instanceof ContentChanged)) throw e;
    err.textContent = e.message;
    setTimeout(redo, 2500);
  }
}

function makePad() {
  const canvas = h('canvas', { class: 'pad', 'aria-label': '签名区：请用手指在此书写' });
  const pad = new SignaturePad(canvas, { penColor: '#000', backgroundColor: 'rgb(255,255,255)', minWidth: 1.2, maxWidth: 3.5 });
  const fit = () => {
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    const w = canvas.offsetWidth;
    if (!w) { requestAnimationFrame(fit); return; }
    canvas.width = w * ratio; canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext('2d').scale(ratio, ratio);
    pad.clear();
    canvas.dataset.ready = '1'; // sized: strokes drawn from now on are kept
  };
  requestAnimationFrame(fit);
  const clear = h('button', { type: 'button', class: 'secondary' }, '清除重写');
  clear.onclick = () => pad.clear();
  return { pad, canvas, el: h('div', { class: 'pad-wrap' }, canvas, clear) };
}

function strokes(pad) {
  const data = pad.toData();
  const t0 = data[0]?.points[0]?.time || 0;
  return data.map((s) => s.points.map((p) => [Math.round(p.x * 10) / 10, Math.round(p.y * 10) / 10, Math.max(0, p.time - t0), p.pressure ?? 0.5]));
}

/** Queue one signature (its PNG as signature media, then the signature event) bound to `hash`. */
async function capture(visit, hash, { role, name, idNumber = null, inspectorId = null, pad = null, refused = false, reason = null }) {
  // The signer signs what was shown: if a sync changed the record meanwhile, show it again first.
  const fresh = await load(visit.id);
  if ((await contentSha256(fresh.visit)) !== hash) throw new ContentChanged();
  const sid = uuid();
  const mutations = [];
  const media = [];
  let image = null;
  if (!refused) {
    const blob = await new Promise((res) => pad.canvas.toBlob(res, 'image/png'));
    const sha = await sha256Hex(blob);
    image = { media_id: uuid(), sha256: sha };
    media.push({ media_id: image.media_id, visit_id: visit.id, blob, sha256: sha, type: 'image/png', filename: `signature-${sid}.png`,
      size: blob.size, kind: 'signature', done: false, url: null, created_at: Date.now() });
    mutations.push({ name: 'media.attach', args: { visit_id: visit.id, media_id: image.media_id, sha256: sha, kind: 'signature',
      target: { type: 'signature', id: sid }, claim: { captured_at: isoNow(), device: 'pwa' } } });
  }
  mutations.push({ name: 'signature.capture', args: { visit_id: visit.id, signature_id: sid, role, signer_name: name,
    inspector_id: inspectorId, id_number: idNumber, content_sha256: hash, strokes: pad && !refused ? strokes(pad) : [],
    image_media_id: image?.media_id || null, image_sha256: image?.sha256 || null, refused, refusal_reason: reason, gps: null,
    app_version: APP_VERSION } });
  await enqueueMany(visit.id, mutations, media);
}

function summary(ctx) {
  const { visit, task, me } = ctx;
  const r = visit.record;
  const label = (c) => me.result_codes.find((x) => x.code === c)?.label || c;
  return section('检查记录摘要',
    dl([['检查对象', visit.object.name], ['统一社会信用代码', visit.object.credit_code],
      ['到达时间', r.arrival ? `${r.arrival.at.slice(0, 10)} ${hhmm(r.arrival.at)}` : '—'],
      ['在场执法人员', r.present.map((i) => memberName(visit, i)).join('、') || '—'],
      ['出示证件', r.credentials_shown_at ? hhmm(r.credentials_shown_at) : '—'], ['告知权利义务', r.rights_informed_at ? hhmm(r.rights_informed_at) : '—']]),
    h('h3', {}, '检查要点'),
    h('ol', { class: 'summary-list' }, task.items.flatMap((i) => i.checkpoints.map((cp) => {
      const a = r.answers[`${i.item_id}:${cp.key}`];
      return h('li', {}, h('span', {}, cp.prompt), h('strong', {}, a ? (VALUE_LABELS[a.value] || a.value) : '未填写'), a?.note ? h('span', { class: 'muted' }, `（${a.note}）`) : null);
    }))),
    h('h3', {}, `发现问题（${r.findings.length}）`),
    h('ol', { class: 'summary-list' }, r.findings.map((f) => h('li', {}, f.description, f.measures.length ? `；措施：${f.measures.map((m) => MEASURE_LABELS[m]).join('、')}` : ''))),
    h('p', {}, `照片与视频 ${r.media.filter((m) => m.kind !== 'signature').length} 个（均以 SHA-256 指纹固定）`),
    h('h3', {}, '检查结果'),
    h('p', { class: 'big-text' }, r.outcome ? r.outcome.codes.map(label).join('、') : '未填写'));
}

export async function render({ id }) {
  const ctx = await load(id);
  if (!ctx) { location.hash = '#/'; return; }
  const { visit, task } = ctx;
  const r = visit.record;
  setTitle('核对与签名', `#/visit/${id}`);
  const redo = () => render({ id });
  const hash = await contentSha256(visit);
  const problems = contentProblems(visit, task);
  const sigProblems = signatureProblems(visit, hash);
  const ro = sealed(visit);
  const bound = r.signatures.filter((s) => s.content_sha256 === hash);
  const signed = h('ul', { class: 'plain' }, r.signatures.map((s) => h('li', {},
    `${SIGNER_ROLE_LABELS[s.role]}：${s.signer_name}${s.refused ? `（拒绝签名：${s.refusal_reason}）` : ''}${s.content_sha256 === hash ? ' ✔' : ' ⚠ 记录已变化，须重签'}`)));
  const parts = [stepNav(visit, '/sign'), sealedBanner(visit), summary(ctx),
    h('p', { class: 'hash' }, `内容指纹 SHA-256：${hash.slice(0, 16)}…`)];

  if (!ro && problems.length) {
    parts.push(section('尚不能签名', h('ul', { class: 'error-list' }, problems.map((p) => h('li', {}, p)))));
  } else if (!ro) {
    if (r.signatures.length) parts.push(section('已签名', signed));
    const partyDone = !partyNeeded(visit) || bound.some((s) => ['legal_rep', 'person_in_charge'].includes(s.role) && !s.refused)
      || (bound.some((s) => s.refused) && bound.some((s) => s.role === 'witness'));
    if (!partyDone) parts.push(partyCard(visit, hash, bound, redo));
    const signedInsp = new Set(bound.filter((s) => s.role === 'inspector').map((s) => signerInspector(visit, s)));
    const waiting = r.present.filter((i) => !signedInsp.has(i));
    if (waiting.length && signedInsp.size < r.present.length) parts.push(inspectorCard(visit, hash, waiting, redo));
    if (!sigProblems.length) {
      parts.push(h('button', { type: 'button', class: 'primary big seal', onclick: async () => {
        if ((await contentSha256((await load(id)).visit)) !== hash) { redo(); return; } // changed meanwhile: review again
        await enqueue(id, 'visit.seal', { visit_id: id, content_sha256: hash });
        redo();
      } }, '确认无误，封存记录'));
    } else {
      parts.push(h('ul', { class: 'error-list' }, sigProblems.map((p) => h('li', {}, p))));
    }
  } else {
    parts.push(section('签名', signed));
  }
  mount(...parts);
}

function partyCard(visit, hash, bound, redo) {
  const refusedAlready = bound.find((s) => s.refused);
  const role = h('select', { name: 'role' }, h('option', { value: 'legal_rep' }, '法定代表人'), h('option', { value: 'person_in_charge' }, '负责人'));
  const name = h('input', { name: 'signer_name', autocomplete: 'off' });
  const idn = h('input', { name: 'id_number', autocomplete: 'off', inputmode: 'text', maxlength: 18 });
  const err = h('p', { class: 'error', role: 'alert' });
  const { pad, el } = makePad();
  const refuse = h('input', { type: 'checkbox', name: 'refused', checked: !!refusedAlready, disabled: !!refusedAlready });
  const reason = h('textarea', { rows: 2, name: 'refusal_reason' });
  const witness = h('input', { name: 'witness_name' });
  const wpad = makePad();
  const signBox = h('div', {}, field('身份证号码', idn, '签名前校验身份证号码（GB 11643）'), h('p', {}, '请被检查方在下框内签名'), el);
  const refuseBox = h('div', { hidden: true }, refusedAlready ? null : field('拒绝签名的原因', reason),
    field('见证人姓名', witness), h('p', {}, '请见证人在下框内签名'), wpad.el);
  const sync = () => { signBox.hidden = refuse.checked; refuseBox.hidden = !refuse.checked; };
  refuse.onchange = sync;
  const submit = h('button', { type: 'button', class: 'primary big', onclick: async () => {
    err.textContent = '';
    if (!refusedAlready && !name.value.trim()) { err.textContent = '请填写签名人姓名。'; name.focus(); return; }
    if (!refuse.checked) {
      const bad = idNumberProblem(idn.value);
      if (bad) { err.textContent = bad; idn.focus(); return; }
      if (pad.isEmpty()) { err.textContent = '请在签名框内签名。'; return; }
      await guarded(err, () => capture(visit, hash, { role: role.value, name: name.value.trim(), idNumber: idn.value.trim().toUpperCase(), pad }), redo);
    } else {
      if (!refusedAlready && !reason.value.trim()) { err.textContent = '拒绝签名须注明原因。'; reason.focus(); return; }
      if (!witness.value.trim()) { err.textContent = '请填写见证人姓名。'; witness.focus(); return; }
      if (wpad.pad.isEmpty()) { err.textContent = '请见证人签名。'; return; }
      await guarded(err, async () => {
        if (!refusedAlready) await capture(visit, hash, { role: role.value, name: name.value.trim(), refused: true, reason: reason.value.trim() });
        await capture(visit, hash, { role: 'witness', name: witness.value.trim(), pad: wpad.pad });
      }, redo);
    }
  } }, '确认签名');
  const card = section('被检查方签名', field('签名人身份', role), field('签名人姓名', name),
    h('label', { class: 'check' }, refuse, h('span', {}, '当事人拒绝签名（由见证人签名）')), signBox, refuseBox, err, submit);
  sync();
  return card;
}

function inspectorCard(visit, hash, waiting, redo) {
  const who = h('select', { name: 'inspector' }, waiting.map((i) => h('option', { value: String(i) }, memberName(visit, i))));
  const { pad, el } = makePad();
  const err = h('p', { class: 'error', role: 'alert' });
  return section('执法人员签名', field('签名的执法人员', who), el, err,
    h('button', { type: 'button', class: 'primary big', onclick: async () => {
      if (pad.isEmpty()) { err.textContent = '请在签名框内签名。'; return; }
      await guarded(err, () => capture(visit, hash, { role: 'inspector', name: memberName(visit, +who.value), inspectorId: +who.value, pad }), redo);
    } }, '确认执法人员签名'));
}
