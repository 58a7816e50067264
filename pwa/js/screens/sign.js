// Review and sign: the summary in large type (the method and its evidence, the answered
// checkpoints, or the facts of an Art. 21 case), the end of the check, the party's signature or
// company stamp (with an identity document of its type) or its refusal (witness when necessary),
// the inspectors' signatures, then the seal. Every signature is bound to the SHA-256 of the
// content shown.
import SignaturePad from '/vendor/signature_pad/signature_pad.js';
import { h, mount, setTitle, section, field } from '../ui.js';
import { load, stepNav, sealedBanner, sealed, contentProblems, signatureProblems, partyDone, memberName, signerInspector, isLeader,
  methodOf } from '../model.js';
import { contentSha256 } from '../local.js';
import { enqueue, enqueueMany } from '../outbox.js';
import { idDocumentProblem, ID_TYPES, sha256Hex, uuid } from '../ids.js';
import { APP_VERSION, isoNow } from '../util.js';
import { summary } from './summary.js';
import { handoffCard, mismatchBanner } from '../handoff-view.js';
import { SIGNER_ROLE_LABELS } from '/shared/labels.js';

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
async function capture(visit, hash, { role, name, idNumber = null, idType = null, inspectorId = null, pad = null, stampFile = null,
  refused = false, reason = null, noWitnessReason = null }) {
  // The signer signs what was shown: if a sync changed the record meanwhile, show it again first.
  const fresh = await load(visit.id);
  if ((await contentSha256(fresh.visit)) !== hash) throw new ContentChanged();
  const sid = uuid();
  const mutations = [];
  const media = [];
  let image = null;
  if (!refused) {
    const blob = stampFile || await new Promise((res) => pad.canvas.toBlob(res, 'image/png'));
    const sha = await sha256Hex(blob);
    image = { media_id: uuid(), sha256: sha };
    media.push({ media_id: image.media_id, visit_id: visit.id, blob, sha256: sha, type: blob.type || 'image/png',
      filename: stampFile ? `stamp-${sid}.${(blob.type || 'image/jpeg').split('/')[1]}` : `signature-${sid}.png`,
      size: blob.size, kind: 'signature', done: false, url: null, created_at: Date.now() });
    mutations.push({ name: 'media.attach', args: { visit_id: visit.id, media_id: image.media_id, sha256: sha, kind: 'signature',
      target: { type: 'signature', id: sid }, claim: { captured_at: isoNow(), device: 'pwa' } } });
  }
  mutations.push({ name: 'signature.capture', args: { visit_id: visit.id, signature_id: sid, role, kind: stampFile ? 'stamp' : 'signature',
    signer_name: name, inspector_id: inspectorId, id_type: idNumber ? idType : null, id_number: idNumber, content_sha256: hash,
    strokes: pad && !refused && !stampFile ? strokes(pad) : [], image_media_id: image?.media_id || null,
    image_sha256: image?.sha256 || null, refused, refusal_reason: reason, no_witness_reason: noWitnessReason, gps: null,
    app_version: APP_VERSION } });
  await enqueueMany(visit.id, mutations, media);
}

export async function render({ id }) {
  const ctx = await load(id);
  if (!ctx) { location.hash = '#/'; return; }
  const { visit, task } = ctx;
  const r = visit.record;
  setTitle('核对与签名', `#/visit/${id}`);
  const redo = () => render({ id });
  const ro = sealed(visit);
  // A sealed record shows the hash it was sealed with (records sealed before check methods
  // existed hash without their new fields).
  const hash = ro && r.sealed?.content_sha256 ? r.sealed.content_sha256 : await contentSha256(visit);
  const problems = contentProblems(visit, task);
  const sigProblems = signatureProblems(visit, hash);
  const bound = r.signatures.filter((s) => s.content_sha256 === hash);
  const signed = h('ul', { class: 'plain' }, r.signatures.map((s) => h('li', {}, signedLine(s, hash))));
  const parts = [stepNav(visit, '/sign'), sealedBanner(visit), mismatchBanner(ctx), await handoffCard(ctx), summary(ctx),
    h('p', { class: 'hash' }, `内容指纹 SHA-256：${hash.slice(0, 16)}…`)];

  if (!ro && problems.length) {
    parts.push(section('尚不能签名', h('ul', { class: 'error-list' }, problems.map((p) => h('li', {}, p)))));
  } else if (!ro && !r.check_ended_at && !bound.length) {
    // The end of the check is part of what everybody signs: the 20 working days count from it.
    // (Signatures already bound without it, from an older app, are kept: the seal's day counts then.)
    parts.push(section('结束检查', h('p', {}, methodOf(visit) === 'documentary'
      ? '书面审查完成后，记录检查结束时间（结果录入期限自该日起算）。'
      : '现场检查完成后，记录检查结束时间（结果录入期限自该日起算），再请当事人核对签名。'),
    h('button', { type: 'button', class: 'primary big', name: 'end_check', onclick: async () => {
      await enqueue(id, 'visit.end_check', { visit_id: id, at: isoNow() });
      redo();
    } }, '检查结束，进入签名')));
  } else if (!ro) {
    if (r.signatures.length) parts.push(section('已签名', signed));
    if (!partyDone(visit, bound)) parts.push(partyCard(ctx, hash, bound, redo));
    const signedInsp = new Set(bound.filter((s) => s.role === 'inspector').map((s) => signerInspector(visit, s)));
    const waiting = r.present.filter((i) => !signedInsp.has(i));
    if (waiting.length) parts.push(inspectorCard(visit, hash, waiting, redo));
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

function signedLine(s, hash) {
  const how = s.refused ? `（拒绝签字：${s.refusal_reason}${s.no_witness_reason ? `；未请见证人：${s.no_witness_reason}` : ''}）`
    : s.kind === 'stamp' ? '（盖章确认）' : '';
  const doc = s.id_type && s.id_type !== 'resident_id' ? `［${ID_TYPES[s.id_type] || s.id_type}］` : '';
  return `${SIGNER_ROLE_LABELS[s.role]}：${s.signer_name}${doc}${how}${s.content_sha256 === hash ? ' ✔' : ' ⚠ 记录已变化，须重签'}`;
}

function partyCard(ctx, hash, bound, redo) {
  const { visit, me } = ctx;
  const refusedAlready = bound.find((s) => s.refused);
  const role = h('select', { name: 'role' }, h('option', { value: 'legal_rep' }, '法定代表人'), h('option', { value: 'person_in_charge' }, '负责人'));
  const name = h('input', { name: 'signer_name', autocomplete: 'off' });
  const how = h('select', { name: 'confirm_kind' }, h('option', { value: 'signature' }, '手写签字'), h('option', { value: 'stamp' }, '加盖公章（拍摄盖章后的记录）'));
  const idType = h('select', { name: 'id_type' }, Object.entries(ID_TYPES).map(([code, label]) => h('option', { value: code }, label)));
  const idn = h('input', { name: 'id_number', autocomplete: 'off', inputmode: 'text', maxlength: 18 });
  const err = h('p', { class: 'error', role: 'alert' });
  const { pad, el } = makePad();
  const stamp = h('input', { type: 'file', name: 'stamp_photo', accept: 'image/*', capture: 'environment', onchange: () => { err.textContent = ''; } });
  const refuse = h('input', { type: 'checkbox', name: 'refused', checked: !!refusedAlready, disabled: !!refusedAlready });
  const reason = h('textarea', { rows: 2, name: 'refusal_reason' });
  const leader = isLeader(visit, me);
  const withWitness = h('input', { type: 'checkbox', name: 'with_witness', checked: true });
  const noWitness = h('textarea', { rows: 2, name: 'no_witness_reason' });
  const witness = h('input', { name: 'witness_name' });
  const wpad = makePad();
  const signBox = h('div', {}, field('确认方式', how), h('div', { class: 'pad-box' }, h('p', {}, '请被检查方在下框内签名'), el),
    h('div', { class: 'stamp-box', hidden: true }, field('公章照片', stamp, '在打印或屏幕显示的记录摘要上加盖公章后拍照')),
    field('证件类型', idType), field('证件号码', idn, '签字须填写证件号码并按证件类型校验；盖章时可不填'));
  const witnessBox = h('div', {}, field('见证人姓名', witness), h('p', {}, '请见证人在下框内签名'), wpad.el);
  const noWitnessBox = h('div', { hidden: true }, field('无需见证的原因（组长填写）', noWitness, '如：全程执法记录仪录像、现场无其他可邀请人员'));
  const refuseBox = h('div', { hidden: true }, refusedAlready ? null : field('拒绝签字的原因', reason),
    leader ? h('label', { class: 'check' }, withWitness, h('span', {}, '邀请见证人签名（必要时，由组长决定）'))
      : h('p', { class: 'hint' }, '是否需要见证人由组长决定；组长可注明无需见证的原因。'),
    witnessBox, noWitnessBox);
  const sync = () => {
    signBox.hidden = refuse.checked; refuseBox.hidden = !refuse.checked;
    const stamping = how.value === 'stamp';
    signBox.querySelector('.pad-box').hidden = stamping; signBox.querySelector('.stamp-box').hidden = !stamping;
    witnessBox.hidden = !withWitness.checked; noWitnessBox.hidden = withWitness.checked || !leader;
  };
  refuse.onchange = sync; how.onchange = sync; withWitness.onchange = sync;
  const submit = h('button', { type: 'button', class: 'primary big', onclick: async () => {
    err.textContent = '';
    if (!refusedAlready && !name.value.trim()) { err.textContent = '请填写签名人姓名（盖章时填写单位名称或经办人）。'; name.focus(); return; }
    if (!refuse.checked) {
      const stamping = how.value === 'stamp';
      const number = idn.value.trim().toUpperCase();
      if (number || !stamping) {
        const bad = idDocumentProblem(idType.value, number);
        if (bad) { err.textContent = bad; idn.focus(); return; }
      }
      if (stamping && !stamp.files.length) { err.textContent = '请拍摄加盖公章的记录。'; return; }
      if (!stamping && pad.isEmpty()) { err.textContent = '请在签名框内签名。'; return; }
      await guarded(err, () => capture(visit, hash, { role: role.value, name: name.value.trim(), idNumber: number || null,
        idType: idType.value, pad: stamping ? null : pad, stampFile: stamping ? stamp.files[0] : null }), redo);
    } else {
      if (!refusedAlready && !reason.value.trim()) { err.textContent = '拒绝签字须注明原因。'; reason.focus(); return; }
      const witnessed = withWitness.checked;
      if (witnessed && !witness.value.trim()) { err.textContent = '请填写见证人姓名。'; witness.focus(); return; }
      if (witnessed && wpad.pad.isEmpty()) { err.textContent = '请见证人签名。'; return; }
      if (!witnessed && leader && !noWitness.value.trim()) { err.textContent = '未请见证人的，请注明无需见证的原因。'; noWitness.focus(); return; }
      await guarded(err, async () => {
        if (!refusedAlready || (!witnessed && leader)) {
          await capture(visit, hash, { role: role.value, name: name.value.trim() || refusedAlready.signer_name, refused: true,
            reason: reason.value.trim() || refusedAlready.refusal_reason, noWitnessReason: witnessed ? null : noWitness.value.trim() || null });
        }
        if (witnessed) await capture(visit, hash, { role: 'witness', name: witness.value.trim(), pad: wpad.pad });
      }, redo);
    }
  } }, '确认');
  const card = section('被检查方签字或盖章', field('签名人身份', role), field('签名人姓名', name),
    h('label', { class: 'check' }, refuse, h('span', {}, '当事人拒绝签字或盖章')), signBox, refuseBox, err, submit);
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
