// A small markdown renderer that builds DOM nodes directly. Model text only ever becomes text
// nodes: raw HTML shows as text, and links are kept only for http, https and mailto.
//
// Blocks: paragraphs, ATX headings, fenced code (language label + Copy), lists (nested by indent),
// tables, blockquotes, horizontal rules. Inline: code, bold, italic, strikethrough, links, bare URLs.

import { h, copyText, flashLabel } from './dom.js';
import { t } from './i18n.js';

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}>\s?(.*)$/;
const LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])(\s+(.*)|\s*$)/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

/** Renders `text` into a new DocumentFragment. */
export function renderMarkdown(text) {
  const fragment = document.createDocumentFragment();
  renderBlocks(String(text ?? '').replace(/\r\n?/g, '\n').split('\n'), fragment);
  return fragment;
}

/** A URL that may become a link: absolute http, https or mailto; anything else gives null. */
export function safeHref(raw) {
  const value = String(raw ?? '').trim();
  if (!/^(https?:\/\/|mailto:)/i.test(value)) return null;
  try {
    const url = new URL(value);
    return ['http:', 'https:', 'mailto:'].includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

function isBlockStart(line, next) {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line)
    || LIST_ITEM.test(line) || isTableStart(line, next);
}

function isTableStart(line, next) {
  return line.includes('|') && next !== undefined && next.includes('-') && TABLE_SEPARATOR.test(next);
}

function renderBlocks(lines, parent) {
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { i += 1; continue; }

    let match = line.match(FENCE);
    if (match) {
      const fence = match[1];
      const lang = match[2] || '';
      const body = [];
      i += 1;
      while (i < lines.length && !(lines[i].trim().startsWith(fence[0].repeat(fence.length)) && /^\s*[`~]+\s*$/.test(lines[i]))) {
        body.push(lines[i]);
        i += 1;
      }
      i += 1; // the closing fence (or the end while streaming)
      parent.append(codeBlock(body.join('\n'), lang));
      continue;
    }

    match = line.match(HEADING);
    if (match) {
      parent.append(h(`h${match[1].length}`, {}, inline(match[2] || '')));
      i += 1;
      continue;
    }

    if (RULE.test(line)) {
      parent.append(h('hr'));
      i += 1;
      continue;
    }

    if (QUOTE.test(line)) {
      const inner = [];
      while (i < lines.length && lines[i].trim()) {
        const quoted = lines[i].match(QUOTE);
        inner.push(quoted ? quoted[1] : lines[i]);
        i += 1;
      }
      const quote = h('blockquote');
      renderBlocks(inner, quote);
      parent.append(quote);
      continue;
    }

    if (isTableStart(line, lines[i + 1])) {
      const rows = [line];
      i += 2;
      const separator = lines[i - 1];
      while (i < lines.length && lines[i].trim() && lines[i].includes('|')) {
        rows.push(lines[i]);
        i += 1;
      }
      parent.append(table(rows, separator));
      continue;
    }

    match = line.match(LIST_ITEM);
    if (match) {
      i = list(lines, i, parent);
      continue;
    }

    const paragraph = [line];
    i += 1;
    while (i < lines.length && lines[i].trim() && !isBlockStart(lines[i], lines[i + 1])) {
      paragraph.push(lines[i]);
      i += 1;
    }
    parent.append(h('p', {}, inlineLines(paragraph)));
  }
}

/** Joins paragraph lines with soft breaks; two trailing spaces or a backslash make a hard break. */
function inlineLines(lines) {
  const nodes = [];
  lines.forEach((raw, index) => {
    const hard = / {2,}$/.test(raw) || /\\$/.test(raw);
    const text = hard ? raw.replace(/( {2,}|\\)$/, '') : raw;
    nodes.push(...inline(index === 0 ? text : text.trimStart()));
    if (index < lines.length - 1) nodes.push(hard ? h('br') : document.createTextNode('\n'));
  });
  return nodes;
}

function list(lines, start, parent) {
  const first = lines[start].match(LIST_ITEM);
  const indent = first[1].length;
  const ordered = /\d/.test(first[2]);
  const element = ordered ? h('ol') : h('ul');
  if (ordered) {
    const number = parseInt(first[2], 10);
    if (number !== 1) element.start = number;
  }
  let i = start;
  while (i < lines.length) {
    const match = lines[i].match(LIST_ITEM);
    if (!match || match[1].length !== indent || /\d/.test(match[2]) !== ordered) break;
    const contentIndent = indent + match[2].length + 1;
    const body = [match[4] ?? ''];
    i += 1;
    let blank = false;
    while (i < lines.length) {
      const next = lines[i];
      if (!next.trim()) { blank = true; body.push(''); i += 1; continue; }
      const leading = next.length - next.trimStart().length;
      const nested = next.match(LIST_ITEM);
      if (leading >= contentIndent || (nested && nested[1].length > indent)) {
        body.push(next.slice(Math.min(leading, contentIndent)));
        blank = false;
        i += 1;
        continue;
      }
      if (!blank && !nested && !isBlockStart(next, lines[i + 1])) { // lazy continuation
        body.push(next.trim());
        i += 1;
        continue;
      }
      break;
    }
    while (body.length > 1 && !body[body.length - 1].trim()) body.pop();
    const item = h('li');
    const task = body[0].match(/^\[([ xX])\]\s+(.*)$/);
    if (task) {
      item.append(h('input', { type: 'checkbox', checked: task[1] !== ' ', disabled: true }), ' ');
      body[0] = task[2];
    }
    if (body.length === 1 || !body.slice(1).some((l) => l.trim())) {
      item.append(...inline(body[0]));
    } else {
      const simple = !body.some((l) => !l.trim());
      const holder = document.createDocumentFragment();
      renderBlocks(body, holder);
      // A tight item keeps its first paragraph inline, as most renderers do.
      if (simple && holder.firstChild?.nodeName === 'P') {
        const p = holder.firstChild;
        p.remove();
        item.append(...p.childNodes);
      }
      item.append(holder);
    }
    element.append(item);
    if (blank && i < lines.length && !LIST_ITEM.test(lines[i])) break;
  }
  parent.append(element);
  return i;
}

function cells(row) {
  let text = row.trim();
  if (text.startsWith('|')) text = text.slice(1);
  if (text.endsWith('|') && !text.endsWith('\\|')) text = text.slice(0, -1);
  return text.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

function table(rows, separator) {
  const aligns = cells(separator).map((cell) => {
    const left = cell.startsWith(':');
    const right = cell.endsWith(':');
    return left && right ? 'center' : right ? 'end' : left ? 'start' : '';
  });
  const header = cells(rows[0]);
  const cell = (tag, text, index) => h(tag, aligns[index] ? { dataset: { align: aligns[index] } } : {}, inline(text));
  const thead = h('thead', {}, h('tr', {}, header.map((text, index) => cell('th', text, index))));
  const tbody = h('tbody', {}, rows.slice(1).map((row) => {
    const values = cells(row);
    return h('tr', {}, header.map((_, index) => cell('td', values[index] ?? '', index)));
  }));
  return h('div', { className: 'md-table' }, h('table', {}, thead, tbody));
}

function codeBlock(code, lang) {
  const button = h('button', { type: 'button', className: 'copy-code', text: t('action.copy_code') });
  button.addEventListener('click', async () => {
    if (await copyText(code)) flashLabel(button, t('action.copied'));
  });
  const label = h('span', { className: 'code-lang', text: lang || t('code.plain') });
  const codeEl = h('code', {}, code);
  if (lang) codeEl.dataset.lang = lang;
  return h('div', { className: 'code-block' },
    h('div', { className: 'code-header' }, label, button),
    h('pre', {}, codeEl));
}

// MARK: - Inline

const INLINE = new RegExp([
  '(`+)', // 1: code span opener
  '(\\*\\*|__)(?=\\S)([\\s\\S]*?\\S)\\2', // 2,3: bold
  '(\\*|_)(?=\\S)([\\s\\S]*?\\S)\\4(?![*_])', // 4,5: italic
  '~~(?=\\S)([\\s\\S]*?\\S)~~', // 6: strikethrough
  '!?\\[([^\\]]*)\\]\\(\\s*<?([^)\\s>]*)>?(?:\\s+"[^"]*")?\\s*\\)', // 7,8: link or image (images become links)
  '<((?:https?:\\/\\/|mailto:)[^\\s<>]+)>', // 9: autolink
  '(https?:\\/\\/[^\\s<>]*[^\\s<>.,;:!?)\\]\'"*_])', // 10: bare URL
  '\\\\([\\\\`*_{}\\[\\]()#+\\-.!|~<>])', // 11: escape
].join('|'), 'g');

function inline(text) {
  const nodes = [];
  let last = 0;
  let buffer = '';
  const flush = () => {
    if (buffer) nodes.push(document.createTextNode(buffer));
    buffer = '';
  };
  // A regex of its own per call: the recursion below must not move this call's lastIndex.
  const pattern = new RegExp(INLINE.source, 'g');
  let match;
  const source = String(text);
  while ((match = pattern.exec(source))) {
    const index = match.index;
    // Underscores inside words are not emphasis (snake_case, window.__name).
    const end = index + match[0].length;
    if ((match[2] === '__' || match[4] === '_')
      && ((index > 0 && /\w/.test(source[index - 1])) || /\w/.test(source[end] ?? ''))) {
      pattern.lastIndex = index + 1;
      continue;
    }
    buffer += source.slice(last, index);
    if (match[1]) {
      const fence = match[1];
      const close = source.indexOf(fence, index + fence.length);
      if (close < 0) {
        buffer += fence;
        last = index + fence.length;
        pattern.lastIndex = last;
        continue;
      }
      flush();
      let code = source.slice(index + fence.length, close);
      if (/^ .* $/.test(code)) code = code.slice(1, -1);
      nodes.push(h('code', {}, code));
      last = close + fence.length;
      pattern.lastIndex = last;
      continue;
    }
    flush();
    if (match[3] !== undefined) nodes.push(h('strong', {}, inline(match[3])));
    else if (match[5] !== undefined) nodes.push(h('em', {}, inline(match[5])));
    else if (match[6] !== undefined) nodes.push(h('del', {}, inline(match[6])));
    else if (match[7] !== undefined) nodes.push(link(match[7] || match[8], match[8], true));
    else if (match[9] !== undefined) nodes.push(link(match[9], match[9], false));
    else if (match[10] !== undefined) nodes.push(link(match[10], match[10], false));
    else if (match[11] !== undefined) buffer += match[11];
    last = pattern.lastIndex;
  }
  buffer += source.slice(last);
  flush();
  return nodes;
}

function link(label, href, parseLabel) {
  const safe = safeHref(href);
  const content = parseLabel ? inline(label) : [label];
  if (!safe) return h('span', { className: 'link-blocked', title: t('markdown.link_blocked') }, content);
  return h('a', { href: safe, target: '_blank', rel: 'noopener noreferrer' }, content);
}
