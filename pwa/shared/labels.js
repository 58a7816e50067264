// Chinese labels of the record's codes that both screens show (the phone app and the review
// desk). The server validates and prints with its own tables (server/visits/rules.py and the
// review labels); tests/pwa/test_shell.py keeps these equal to them.

/** A checkpoint's answer. */
export const VALUE_LABELS = { pass: '合格', fail: '不合格', na: '不涉及' };

/** Who signed the record. */
export const SIGNER_ROLE_LABELS = { legal_rep: '法定代表人', person_in_charge: '负责人', witness: '见证人', inspector: '执法检查人员' };
