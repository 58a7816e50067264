// The one element builder of both screens (the phone app and the review desk).
// Text always goes in as text nodes, never as HTML: whatever the server or a user typed
// cannot become markup.

/** h('a', {href, class, onclick, 'data-x': 1}, 'text', child, [more]) → an Element.
 *  Attributes that are null, undefined or false are left out; `on…` keys add listeners;
 *  a non-string value of a property the element has (checked, disabled…) is set as that property. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
