// Chinese labels of the record's codes that both screens show (the phone app and the review
// desk). The server validates and prints with its own tables (server/visits/rules.py and the
// review labels); tests/pwa/test_shell.py keeps these equal to them.

/** A checkpoint's answer. */
export const VALUE_LABELS = { pass: '合格', fail: '不合格', na: '不涉及' };

/** Who signed the record. */
export const SIGNER_ROLE_LABELS = { legal_rep: '法定代表人', person_in_charge: '负责人', witness: '见证人', inspector: '执法检查人员', desk_reviewer: '后台书面审查人员' };

/** How the check was done (Art. 19; server/visits/rules.py METHODS). */
export const METHOD_LABELS = { onsite: '实地核查', documentary: '书面检查', online: '网络检查（网络监测）', delegated_body: '委托专业机构检查', other_authority: '采信其他部门检查结论' };

/** The facts of an Art. 21 case, in the order the summary states them (server/visits/rules.py EVIDENCE_LABELS). */
export const FACT_LABELS = { address_checked: '核查的地址', phone_attempt: '电话联系记录', neighbours_asked: '走访询问情况', refused_what: '拒绝配合的事项', refused_how: '拒绝的方式', witness: '见证人', description: '情况说明' };
