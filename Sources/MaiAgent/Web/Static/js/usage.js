// Usage and costs: the administrator's dashboard (Admin → Usage) and every user's "My usage" page.
//
// Amounts come from the server as decimal strings (raw_cost = what the providers charge, price = what
// the company pays). They are shown as they are, only dressed with the currency sign and digit
// grouping of the current language: nothing is added up or multiplied here. The chart turns them
// into numbers for bar heights only; its labels are the server's strings again.

import { $, h, show } from './dom.js';
import { t, language, formatDate, formatNumber } from './i18n.js';
import { api } from './api.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const STATES = ['provisional', 'confirmed', 'unverified', 'estimated'];

let reportError = (error) => console.error(error);
let notify = () => {};

/** Which page is open ('admin' | 'me' | null), and a counter that makes answers of a closed page stale. */
const live = { page: null, epoch: 0, timer: 0, seconds: 30, stamp: null, updatedAt: null, currency: 'USD' };
let users = [];
let budgets = [];

export function initUsage({ onError, onNotice }) {
  reportError = onError;
  notify = onNotice;
  $('usage-sync').addEventListener('click', () => syncNow().catch(reportError));
  $('budget-form').addEventListener('submit', (event) => {
    event.preventDefault();
    saveBudget(false).catch(reportError);
  });
  $('budget-remove').addEventListener('click', () => saveBudget(true).catch(reportError));
  $('budget-user').addEventListener('change', fillBudgetInput);
  $('generation-status').addEventListener('change', () => loadGenerations(live.epoch).catch(reportError));
  $('generation-differs').addEventListener('change', () => loadGenerations(live.epoch).catch(reportError));
  document.addEventListener('visibilitychange', () => {
    if (!live.page) return;
    if (document.hidden) {
      clearTimeout(live.timer);
      live.timer = 0;
      renderRefreshNote();
    } else {
      tick();
    }
  });
  renderLegend($('usage-legend'));
  renderLegend($('my-usage-legend'));
  document.addEventListener('mai:language', () => {
    renderLegend($('usage-legend'));
    renderLegend($('my-usage-legend'));
  });
}

/** Opens Admin → Usage (the whole instance) and keeps it fresh until stopUsage(). */
export function openAdminUsage() {
  start('admin');
}

/** Opens "My usage" (the signed-in user's own numbers). */
export function openMyUsage() {
  start('me');
}

/** Stops the refreshing (another page, signed out). */
export function stopUsage() {
  live.page = null;
  live.epoch += 1;
  clearTimeout(live.timer);
  live.timer = 0;
}

function start(page) {
  stopUsage();
  live.page = page;
  live.stamp = null;
  const epoch = live.epoch;
  loadAll(epoch).catch(reportError).finally(() => schedule(epoch));
}

function schedule(epoch) {
  clearTimeout(live.timer);
  live.timer = 0;
  if (epoch !== live.epoch || !live.page || document.hidden) return;
  live.timer = setTimeout(() => tick(), live.seconds * 1000);
}

/** One refresh: the summary (tiles); the tables too when the month's totals moved. */
async function tick() {
  const epoch = live.epoch;
  if (!live.page || document.hidden) return;
  clearTimeout(live.timer);
  try {
    const changed = await loadSummary(epoch);
    if (changed && epoch === live.epoch) await loadTables(epoch);
  } catch (error) {
    if (epoch === live.epoch) reportError(error);
  } finally {
    schedule(epoch);
  }
}

async function loadAll(epoch) {
  await loadSummary(epoch);
  if (epoch === live.epoch) await loadTables(epoch);
}

function scopeQuery() {
  return live.page === 'me' ? 'scope=me' : '';
}

function withQuery(path, ...parts) {
  const query = parts.filter(Boolean).join('&');
  return query ? `${path}?${query}` : path;
}

/** Loads the summary and draws the tiles; answers whether the month's numbers changed. */
async function loadSummary(epoch) {
  const summary = await api(withQuery('/api/v1/usage/summary', scopeQuery()));
  if (epoch !== live.epoch || !summary) return false;
  live.seconds = Math.max(1, Number(summary.refresh_seconds) || 30);
  live.currency = summary.currency || 'USD';
  live.updatedAt = Date.now();
  const m = summary.month;
  const stamp = [m.requests, m.raw_cost, m.price, m.provisional, m.confirmed, m.unverified, m.estimated].join('|');
  const changed = live.stamp !== null && stamp !== live.stamp;
  live.stamp = stamp;
  if (live.page === 'admin') renderAdminTiles(summary);
  else renderMyTiles(summary);
  renderRefreshNote();
  return changed;
}

async function loadTables(epoch) {
  if (live.page === 'admin') {
    await Promise.all([
      loadReports(epoch, ['day', 'user', 'model']),
      loadUsersAndBudgets(epoch).then(() => loadGenerations(epoch)),
      loadExternal(epoch),
    ]);
  } else if (live.page === 'me') {
    await loadReports(epoch, ['day']);
  }
}

function renderRefreshNote() {
  const note = $(live.page === 'me' ? 'my-usage-refresh-note' : 'usage-refresh-note');
  if (!live.page) return;
  if (document.hidden) {
    note.textContent = t('usage.paused');
    return;
  }
  const time = live.updatedAt ? new Intl.DateTimeFormat(language(), { timeStyle: 'medium' }).format(new Date(live.updatedAt)) : '—';
  note.textContent = t('usage.refresh_note', { seconds: live.seconds, time });
  note.dataset.seconds = String(live.seconds);
}

// MARK: - Formatting (never arithmetic on amounts)

/**
 * "0.001234" → "$0.001234" (en), "0,001234 $" (de): the server's digits, with the currency sign,
 * the language's decimal separator and grouping of the integer part. All digits are kept.
 */
export function money(text, currency = live.currency) {
  const match = /^(-)?(\d+)(?:\.(\d+))?$/.exec(String(text ?? '').trim());
  if (!match) return text == null || text === '' ? '—' : String(text);
  const [, minus, integer, fraction] = match;
  const lang = language();
  const whole = BigInt(integer);
  let template;
  try {
    template = new Intl.NumberFormat(lang, { style: 'currency', currency, minimumFractionDigits: 0, maximumFractionDigits: 0 })
      .formatToParts(minus ? -1n : 1n);
  } catch {
    return `${minus ? '-' : ''}${integer}${fraction ? `.${fraction}` : ''} ${currency}`;
  }
  const grouped = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 }).format(whole);
  const decimal = new Intl.NumberFormat(lang).formatToParts(1.5).find((p) => p.type === 'decimal')?.value ?? '.';
  let out = '';
  let placed = false;
  for (const part of template) {
    if (part.type === 'integer' || part.type === 'group') {
      if (!placed) out += grouped + (fraction ? decimal + fraction : '');
      placed = true;
    } else {
      out += part.value;
    }
  }
  return out;
}

function moneyCell(text, className) {
  return h('td', { className: `num ${className}`, dataset: { value: text ?? '' }, text: money(text) });
}

function count(value) {
  return formatNumber(Number(value) || 0);
}

function badge(kind, text, title) {
  return h('span', { className: `state-badge state-${kind}`, dataset: { state: kind }, title, text });
}

/** Badges for the rows that are not (yet) confirmed: unverified, estimated and provisional counts. */
function stateBadges(line) {
  const out = [];
  for (const kind of ['unverified', 'estimated', 'provisional']) {
    const n = Number(line[kind]) || 0;
    if (n > 0) out.push(badge(kind, t(`state.${kind}_count`, { count: formatNumber(n) }), t(`legend.${kind}`)));
  }
  if (!out.length && line.requests > 0) out.push(badge('confirmed', t('state.confirmed'), t('legend.confirmed')));
  return out;
}

function renderLegend(target) {
  target.replaceChildren(
    h('span', { className: 'legend-title', text: `${t('legend.title')} ` }),
    ...STATES.flatMap((kind) => [
      h('span', { className: 'legend-item' }, badge(kind, t(`state.${kind}`)), ` ${t(`legend.${kind}`)} `),
    ]));
}

// MARK: - Tiles

function tile(id, label, value, ...notes) {
  return h('div', { className: 'tile', id },
    h('p', { className: 'tile-label', text: label }),
    h('p', { className: 'tile-value' }, value),
    ...notes.filter(Boolean).map((note) => h('p', { className: 'tile-note' }, note)));
}

function amount(text, id) {
  return h('span', { className: 'tile-amount', id, dataset: { value: text }, text: money(text) });
}

function number(value, id) {
  return h('span', { className: 'tile-number', id, dataset: { value: String(value) }, text: count(value) });
}

function priceAndRaw(line, idPrefix) {
  return h('span', { className: 'price-raw' },
    h('span', { className: 'price-side' },
      h('span', { className: 'side-label', text: t('usage.price') }), amount(line.price, `${idPrefix}-price`)),
    h('span', { className: 'raw-side' },
      h('span', { className: 'side-label', text: t('usage.raw') }), amount(line.raw_cost, `${idPrefix}-raw`)));
}

function tokens(line) {
  return t('usage.tokens_in_out', { prompt: count(line.prompt_tokens), completion: count(line.completion_tokens) });
}

function budgetMeter(percent, label) {
  const value = Math.max(0, Math.min(100, Number(percent) || 0));
  return h('meter', { className: 'budget-meter', min: 0, max: 100, low: 80, high: 99, optimum: 0, value, 'aria-label': label, title: `${percent} %` });
}

function renderAdminTiles(summary) {
  const { today, month } = summary;
  const tiles = [
    tile('tile-today-spend', t('usage.today_spend'), priceAndRaw(today, 'tile-today'), h('span', { className: 'state-line' }, ...stateBadges(today))),
    tile('tile-today-requests', t('usage.today_requests'), number(today.requests, 'today-requests')),
    tile('tile-today-tokens', t('usage.today_tokens'), number(today.prompt_tokens + today.completion_tokens, 'today-tokens'), tokens(today)),
    tile('tile-month-spend', t('usage.month_spend', { month: monthLabel(month.label) }), priceAndRaw(month, 'tile-month'),
      t('usage.month_requests', { count: count(month.requests) }), t('usage.markup', { rate: summary.markup_rate })),
  ];
  if (summary.budget) {
    tiles.push(tile('tile-budget', t('usage.instance_budget'), amount(summary.budget, 'tile-budget-limit'),
      budgetMeter(summary.budget_used_percent, t('budgets.used', { percent: summary.budget_used_percent })),
      t('budgets.used', { percent: summary.budget_used_percent })));
  }
  $('usage-tiles').replaceChildren(...tiles);
}

function renderMyTiles(summary) {
  const { today, month } = summary;
  $('my-usage-tiles').replaceChildren(
    tile('my-tile-today', t('my_usage.today'), amount(today.price, 'my-today-price'), t('usage.requests_count', { count: count(today.requests) })),
    tile('my-tile-month', t('my_usage.month', { month: monthLabel(month.label) }), amount(month.price, 'my-month-price'),
      h('span', { className: 'state-line' }, ...stateBadges(month))),
    tile('my-tile-requests', t('my_usage.requests'), number(month.requests, 'my-month-requests')),
    tile('my-tile-tokens', t('my_usage.tokens'), number(month.prompt_tokens + month.completion_tokens, 'my-month-tokens'), tokens(month)));
  const box = $('my-budget');
  if (summary.budget) {
    const percent = summary.budget_used_percent ?? 0;
    box.dataset.percent = String(percent);
    box.dataset.near = String(percent >= 80);
    box.replaceChildren(
      h('h3', { text: t('my_usage.budget_title') }),
      h('p', { className: 'budget-text', text: t('my_usage.budget_text', { spent: money(month.price), limit: money(summary.budget), percent }) }),
      budgetMeter(percent, t('budgets.used', { percent })),
      percent >= 100 ? h('p', { className: 'notice warning', text: t('my_usage.budget_over') })
        : percent >= 80 ? h('p', { className: 'notice warning', text: t('my_usage.budget_near') }) : null);
    show(box);
  } else {
    box.replaceChildren();
    show(box, false);
  }
}

// MARK: - Reports, tables and the chart

async function loadReports(epoch, groupings) {
  const reports = await Promise.all(groupings.map((g) => api(withQuery('/api/v1/usage/report', `group_by=${g}`, scopeQuery()))));
  if (epoch !== live.epoch) return;
  groupings.forEach((grouping, index) => {
    const report = reports[index];
    const csv = withQuery('/api/v1/usage/report', `from=${report.from}`, `to=${report.to}`, `group_by=${grouping}`, scopeQuery(), 'format=csv');
    if (live.page === 'me') {
      renderChart($('my-usage-chart'), report, 'my-chart');
      $('my-daily-table').replaceChildren(lineTable(report, 'day', { raw: false }));
      $('my-daily-csv').href = csv;
      return;
    }
    if (grouping === 'day') {
      renderChart($('usage-chart'), report, 'usage-chart-svg');
      $('usage-daily-table').replaceChildren(lineTable(report, 'day'));
      $('usage-daily-csv').href = csv;
    } else {
      $(`usage-${grouping}s-table`).replaceChildren(lineTable(report, grouping));
      $(`usage-${grouping}s-csv`).href = csv;
    }
  });
}

/** "2026-11" → "November 2026" in the page's language. */
function monthLabel(month) {
  const [y, m] = String(month).split('-').map(Number);
  if (!y || !m) return month;
  return new Intl.DateTimeFormat(language(), { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, 1)));
}

function dayLabel(day) {
  const [y, m, d] = day.split('-').map(Number);
  return new Intl.DateTimeFormat(language(), { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)));
}

function keyLabel(line, grouping) {
  if (grouping === 'day') return dayLabel(line.key);
  if (grouping === 'user' && line.label.includes('<')) {
    const at = line.label.lastIndexOf('<');
    return h('span', {}, h('span', { className: 'row-name', text: line.label.slice(0, at).trim() }), ' ',
      h('span', { className: 'muted small-text', text: line.label.slice(at) }));
  }
  return line.label;
}

/** A table of report lines with raw cost and price side by side, the totals in the footer. */
function lineTable(report, grouping, { raw = true } = {}) {
  const headers = [t(`usage.col_${grouping}`), t('usage.col_requests'), t('usage.col_prompt'), t('usage.col_completion')];
  if (raw) headers.push(t('usage.col_raw'));
  headers.push(t('usage.col_price'), t('usage.col_state'));
  const row = (line, total) => {
    const cells = [
      total ? h('th', { scope: 'row', text: t('usage.total') }) : h('th', { scope: 'row' }, keyLabel(line, grouping)),
      h('td', { className: 'num cell-requests', text: count(line.requests) }),
      h('td', { className: 'num', text: count(line.prompt_tokens) }),
      h('td', { className: 'num', text: count(line.completion_tokens) }),
    ];
    if (raw) cells.push(moneyCell(line.raw_cost, 'cell-raw'));
    cells.push(moneyCell(line.price, 'cell-price'), h('td', { className: 'cell-state' }, ...stateBadges(line)));
    const marked = line.unverified > 0 || line.estimated > 0;
    return h('tr', { className: marked ? 'marked' : '', dataset: { key: line.key, label: line.label } }, ...cells);
  };
  const table = h('table', { className: `users-table usage-table usage-${grouping}-table`, dataset: { grouping } },
    h('thead', {}, h('tr', {}, ...headers.map((text) => h('th', { scope: 'col', text })))),
    h('tbody', {}, ...report.rows.map((line) => row(line, false))),
    h('tfoot', {}, row(report.totals, true)));
  if (!report.rows.length) {
    table.tBodies[0].append(h('tr', { className: 'empty-row' }, h('td', { colSpan: headers.length, className: 'muted', text: t('usage.no_usage') })));
  }
  return table;
}

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) el.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function daysOf(from, to) {
  const days = [];
  const [fy, fm, fd] = from.split('-').map(Number);
  const [ty, tm, td] = to.split('-').map(Number);
  const end = Date.UTC(ty, tm - 1, td);
  for (let time = Date.UTC(fy, fm - 1, fd); time <= end && days.length < 400; time += 86_400_000) {
    days.push(new Date(time).toISOString().slice(0, 10));
  }
  return days;
}

/** Bars of the price per day, drawn by hand: a <title>/<desc> for screen readers, a table beside it. */
function renderChart(container, report, id) {
  const days = daysOf(report.from, report.to);
  const byDay = new Map(report.rows.map((line) => [line.key, line]));
  const width = 720;
  const height = 240;
  const pad = { top: 18, right: 12, bottom: 30, left: 78 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const slot = plotW / Math.max(1, days.length);
  let top = null;
  for (const line of report.rows) {
    if (!top || Number(line.price) > Number(top.price)) top = line;
  }
  const max = top ? Number(top.price) : 0;
  const used = report.rows.filter((line) => line.requests > 0 || Number(line.price) > 0);
  const titleText = t('chart.title', { from: dayLabel(report.from), to: dayLabel(report.to) });
  const descText = used.length
    ? t('chart.desc', { days: used.length, top: money(top.price), day: dayLabel(top.key), total: money(report.totals.price) })
    : t('chart.empty');
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-labelledby': `${id}-title ${id}-desc`, id, preserveAspectRatio: 'xMidYMid meet' },
    svg('title', { id: `${id}-title` }, titleText),
    svg('desc', { id: `${id}-desc` }, descText));
  const baseY = pad.top + plotH;
  // Axes and the two labelled levels: nothing and the busiest day (the server's amount).
  chart.append(
    svg('line', { class: 'axis', x1: pad.left, y1: baseY, x2: width - pad.right, y2: baseY }),
    svg('line', { class: 'axis', x1: pad.left, y1: pad.top, x2: pad.left, y2: baseY }),
    svg('text', { class: 'axis-label y-label', x: pad.left - 6, y: baseY, 'text-anchor': 'end', 'dominant-baseline': 'middle' }, money('0')));
  if (top && max > 0) {
    chart.append(
      svg('line', { class: 'grid', x1: pad.left, y1: pad.top, x2: width - pad.right, y2: pad.top }),
      svg('text', { class: 'axis-label y-label y-max', x: pad.left - 6, y: pad.top, 'text-anchor': 'end', 'dominant-baseline': 'middle' }, money(top.price)));
  }
  const bars = svg('g', { class: 'bars' });
  days.forEach((day, index) => {
    const x = pad.left + index * slot;
    const n = index + 1;
    if (n === 1 || n % 5 === 0 || index === days.length - 1) {
      chart.append(svg('text', { class: 'axis-label x-label', x: x + slot / 2, y: baseY + 16, 'text-anchor': 'middle' }, String(Number(day.slice(8)))));
    }
    const line = byDay.get(day);
    if (!line || !(line.requests > 0 || Number(line.price) > 0)) return;
    const value = Number(line.price);
    const barH = max > 0 ? Math.max(2, (value / max) * plotH) : 2;
    const marked = line.unverified > 0 || line.estimated > 0;
    bars.append(svg('rect', {
      class: `bar${marked ? ' marked' : ''}`, x: x + slot * 0.15, y: baseY - barH, width: Math.max(1, slot * 0.7), height: barH,
      'data-day': day, 'data-price': line.price, rx: 2,
    }, svg('title', {}, t('chart.bar', { day: dayLabel(day), price: money(line.price), count: count(line.requests) }))));
  });
  chart.append(bars);
  container.replaceChildren(chart);
}

// MARK: - Admin: budgets

async function loadUsersAndBudgets(epoch) {
  const [list, data] = await Promise.all([api('/api/v1/users/?page=1&limit=100'), api('/api/v1/usage/budgets')]);
  if (epoch !== live.epoch) return;
  users = (list?.users ?? []).filter((user) => user.role !== 'pending');
  renderBudgetSelect();
  renderBudgets(data?.budgets ?? []);
}

function renderBudgetSelect() {
  const select = $('budget-user');
  const chosen = select.value;
  select.replaceChildren(
    h('option', { value: '', text: t('budgets.instance') }),
    ...users.map((user) => h('option', { value: user.id, text: `${user.name} <${user.email}>` })));
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
}

function fillBudgetInput() {
  const current = budgets.find((b) => b.user_id === $('budget-user').value);
  $('budget-limit').value = current ? current.limit : '';
}

function renderBudgets(list) {
  budgets = list;
  show($('budget-empty'), !list.length);
  $('budget-list').replaceChildren(...list.map((item) => {
    const name = item.user_id === '' ? t('budgets.instance') : item.name;
    const over = item.used_percent >= 100;
    const remove = h('button', {
      type: 'button', className: 'button small secondary budget-remove', text: t('budgets.remove'),
      'aria-label': t('budgets.remove_for', { name }),
      onclick: () => setBudget(item.user_id, null).catch(reportError),
    });
    return h('li', { className: `budget-item${item.near_limit ? ' near' : ''}${over ? ' over' : ''}`,
      dataset: { userId: item.user_id, percent: String(item.used_percent), near: String(item.near_limit), over: String(over) } },
      h('div', { className: 'budget-top' },
        h('strong', { className: 'budget-name', text: name }),
        over ? badge('over', t('budgets.over')) : item.near_limit ? badge('near', t('budgets.near')) : null,
        remove),
      budgetMeter(item.used_percent, t('budgets.used_of', { name, percent: item.used_percent })),
      h('p', { className: 'budget-text', text: t('budgets.line', { spent: money(item.spent), limit: money(item.limit), percent: item.used_percent }) }));
  }));
  fillBudgetInput();
}

async function setBudget(userId, limit) {
  const data = await api('/api/v1/usage/budgets', { method: 'POST', body: { user_id: userId, monthly_limit: limit } });
  renderBudgets(data?.budgets ?? []);
  const who = userId === '' ? t('budgets.instance') : (users.find((u) => u.id === userId)?.name ?? userId);
  notify(limit === null ? t('budgets.removed', { name: who }) : t('budgets.saved', { name: who }));
}

async function saveBudget(remove) {
  const userId = $('budget-user').value;
  if (remove) {
    await setBudget(userId, null);
    return;
  }
  const limit = $('budget-limit').value.trim().replace(',', '.');
  if (!/^\d+(\.\d+)?$/.test(limit)) {
    $('budget-limit').focus();
    throw new Error(t('budgets.invalid'));
  }
  await setBudget(userId, limit);
}

// MARK: - Admin: generations, outside usage, confirmation

async function loadGenerations(epoch) {
  if (live.page !== 'admin') return;
  const status = $('generation-status').value;
  const differs = $('generation-differs').checked;
  const query = [status ? `status=${encodeURIComponent(status)}` : '', differs ? 'differs=true' : '', 'limit=50'];
  const data = await api(withQuery('/api/v1/usage/generations', ...query));
  if (epoch !== live.epoch) return;
  $('usage-generations-csv').href = withQuery('/api/v1/usage/generations', ...query.slice(0, 2), 'limit=1000', 'format=csv');
  const names = new Map(users.map((user) => [user.id, user.name]));
  const rows = (data?.generations ?? []).map((g) => {
    const differsRow = Boolean(g.difference);
    const reported = g.reported_cost ?? g.estimated_cost;
    return h('tr', { className: differsRow ? 'differs' : '', dataset: { id: g.id, status: g.status, differs: String(differsRow) } },
      h('td', { className: 'nowrap', text: formatDate(g.created_at) }),
      h('td', { text: names.get(g.user_id) ?? g.user_id.slice(0, 8) }),
      h('td', {}, h('span', { text: g.model }), g.provider ? h('span', { className: 'muted small-text', text: ` · ${g.provider}` }) : null),
      h('td', {}, badge(g.status, t(`state.${g.status}`), t(`legend.${g.status}`)),
        g.last_error ? h('span', { className: 'muted small-text gen-error', title: g.last_error, text: ` ${t('generations.attempts', { count: g.attempts })}` }) : null),
      h('td', { className: 'num', text: `${count(g.prompt_tokens)} / ${count(g.completion_tokens)}` }),
      h('td', { className: 'num cell-reported', dataset: { value: reported ?? '' } },
        money(reported), !g.reported_cost && g.estimated_cost ? h('span', { className: 'muted small-text', text: ` (${t('state.estimated')})` }) : null),
      moneyCell(g.confirmed_cost, 'cell-confirmed'),
      h('td', { className: 'num cell-difference', dataset: { value: g.difference ?? '' } },
        differsRow ? h('strong', { text: money(g.difference) }) : '—'));
  });
  const headers = ['generations.time', 'generations.user', 'generations.model', 'generations.status', 'generations.tokens',
    'generations.reported', 'generations.confirmed', 'generations.difference'].map((key) => h('th', { scope: 'col', text: t(key) }));
  const table = h('table', { className: 'users-table usage-table generations-table' },
    h('thead', {}, h('tr', {}, ...headers)), h('tbody', {}, ...rows));
  if (!rows.length) table.tBodies[0].append(h('tr', {}, h('td', { colSpan: headers.length, className: 'muted', text: t('generations.empty') })));
  $('usage-generations-table').replaceChildren(table);
}

async function loadExternal(epoch) {
  const data = await api('/api/v1/usage/external');
  if (epoch !== live.epoch) return;
  const list = data?.external_users ?? [];
  show($('usage-external'), list.length > 0);
  if (!list.length) return;
  const headers = ['external.user', 'external.first_seen', 'external.last_seen', 'external.requests', 'external.cost']
    .map((key) => h('th', { scope: 'col', text: t(key) }));
  $('usage-external-table').replaceChildren(h('table', { className: 'users-table usage-table external-table' },
    h('thead', {}, h('tr', {}, ...headers)),
    h('tbody', {}, ...list.map((row) => h('tr', { dataset: { user: row.external_user } },
      h('td', {}, h('code', { text: row.external_user })),
      h('td', { text: formatDate(row.first_seen) }),
      h('td', { text: formatDate(row.last_seen) }),
      h('td', { className: 'num', text: count(row.requests) }),
      moneyCell(row.cost, 'cell-raw'))))));
}

async function syncNow() {
  const button = $('usage-sync');
  const result = $('usage-sync-result');
  button.disabled = true;
  result.textContent = t('usage.syncing');
  try {
    const done = await api('/api/v1/usage/sync', { method: 'POST' });
    result.textContent = t('usage.sync_result', {
      confirmed: count(done.confirmed), not_ready: count(done.not_ready), failed: count(done.failed),
      unverified: count(done.unverified), remaining: count(done.remaining),
    });
    result.dataset.confirmed = String(done.confirmed);
    const epoch = live.epoch;
    if (live.page === 'admin') await loadAll(epoch);
  } catch (error) {
    result.textContent = '';
    throw error;
  } finally {
    button.disabled = false;
  }
}
