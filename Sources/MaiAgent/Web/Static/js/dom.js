// DOM helpers: every piece of text goes through text nodes, never HTML.

export const $ = (id) => document.getElementById(id);

/** Creates an element with properties and children; strings become text nodes (never HTML). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'text') el.textContent = value;
    else if (name in el && name !== 'list' && !name.includes('-')) el[name] = value;
    else el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function show(el, visible = true) {
  el.hidden = !visible;
}

/** Copies text to the clipboard; falls back to a hidden textarea when the API is unavailable. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h('textarea', { className: 'offscreen', value: text, readOnly: true });
    document.body.append(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    area.remove();
    return ok;
  }
}

/** Shows "Copied" on a button for a moment, then its own label again. */
export function flashLabel(button, text) {
  const original = button.textContent;
  button.textContent = text;
  button.dataset.copied = 'true';
  setTimeout(() => {
    button.textContent = original;
    delete button.dataset.copied;
  }, 1500);
}
