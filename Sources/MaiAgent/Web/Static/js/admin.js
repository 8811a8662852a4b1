// Admin pages beyond users: connections to model providers, and model settings (default, hidden).

import { $, h, show } from './dom.js';
import { t, formatDate, formatNumber } from './i18n.js';
import { api } from './api.js';

const KINDS = ['openrouter', 'openai', 'ollama', 'custom', 'anthropic', 'gemini'];
let reportError = (error) => console.error(error);
let notify = () => {};
let modelsChanged = () => {};
let connections = [];
let editing = null;
let catalog = [];
let config = { DEFAULT_MODELS: null, HIDDEN_MODELS: [] };

export function initAdmin({ onError, onNotice, onModelsChanged }) {
  reportError = onError;
  notify = onNotice;
  modelsChanged = onModelsChanged;
  const kind = $('connection-kind');
  kind.replaceChildren(...KINDS.map((k) => h('option', { value: k, text: t(`kind.${k}`) })));
  document.addEventListener('mai:language', () => {
    for (const option of kind.options) option.textContent = t(`kind.${option.value}`);
    if (connections.length) renderConnections();
    if (catalog.length) renderModels();
  });

  const form = $('add-connection-form');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { kind: kind.value };
    for (const [id, field] of [['connection-name', 'name'], ['connection-base-url', 'base_url'], ['connection-api-key', 'api_key'], ['connection-prefix', 'model_prefix']]) {
      const value = $(id).value.trim();
      if (value) body[field] = value;
    }
    const controls = [...form.elements];
    controls.forEach((c) => { c.disabled = true; });
    try {
      const created = await api('/api/v1/connections/new', { method: 'POST', body });
      form.reset();
      notify(t('connections.added', { name: created?.name ?? body.kind }));
      await loadConnections();
      modelsChanged();
    } catch (error) {
      reportError(error);
    } finally {
      controls.forEach((c) => { c.disabled = false; });
    }
  });

  $('models-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const hidden = [...document.querySelectorAll('#models-body .model-hidden')].filter((box) => box.checked).map((box) => box.dataset.model);
    try {
      config = await api('/api/v1/configs/models', { method: 'POST', body: { DEFAULT_MODELS: $('default-model').value, HIDDEN_MODELS: hidden } });
      notify(t('models.saved'));
      await loadModels();
      modelsChanged();
    } catch (error) {
      reportError(error);
    }
  });
}

// MARK: - Connections

export async function loadConnections() {
  const data = await api('/api/v1/connections/');
  connections = data?.connections ?? [];
  renderConnections();
}

function statusOf(connection) {
  if (!connection.enabled) return { kind: 'disabled', text: t('connections.disabled') };
  if (connection.last_error) return { kind: 'error', text: t('connections.error', { error: connection.last_error }) };
  if (connection.checked_at) return { kind: 'ok', text: t('connections.ok', { date: formatDate(connection.checked_at) }) };
  return { kind: 'unknown', text: t('connections.unchecked') };
}

function renderConnections() {
  const rows = [];
  for (const connection of connections) {
    const status = statusOf(connection);
    const button = (className, key, action, extra = {}) => h('button', { type: 'button', className: `button small ${extra.danger ? 'danger' : 'secondary'} ${className}`,
      text: t(key), onclick: () => action().catch(reportError) });
    rows.push(h('tr', { dataset: { id: connection.id, kind: connection.kind, source: connection.source, enabled: String(connection.enabled) } },
      h('td', { className: 'cell-name' }, h('strong', { text: connection.name }), h('br'), h('span', { className: 'muted small-text', text: t(`kind.${connection.kind}`) ?? connection.kind })),
      h('td', { className: 'cell-url', text: connection.base_url || '—' }),
      h('td', { className: 'cell-key', text: connection.has_key ? connection.key_hint || '••••' : t('connections.no_key') }),
      h('td', { className: 'cell-source', text: t(`source.${connection.source}`) }),
      h('td', { className: 'cell-models', text: formatNumber(connection.models ?? 0) }),
      h('td', { className: 'cell-status' }, h('span', { className: `conn-status ${status.kind}`, text: status.text })),
      h('td', { className: 'cell-actions' },
        button('verify-connection', 'connections.verify', () => verify(connection)),
        button('toggle-connection', connection.enabled ? 'connections.disable' : 'connections.enable', () => update(connection, { enabled: !connection.enabled })),
        button('edit-connection', 'connections.edit', async () => { editing = editing === connection.id ? null : connection.id; renderConnections(); $('edit-connection-name')?.focus(); }),
        button('delete-connection', 'connections.delete', () => remove(connection), { danger: true }))));
    if (editing === connection.id) rows.push(editRow(connection));
  }
  $('connections-body').replaceChildren(...rows);
  show($('connections-empty'), !connections.length);
}

function editRow(connection) {
  const name = h('input', { id: 'edit-connection-name', type: 'text', value: connection.name, maxLength: 100 });
  const url = h('input', { id: 'edit-connection-base-url', type: 'url', value: connection.base_url });
  const key = h('input', { id: 'edit-connection-api-key', type: 'password', autocomplete: 'off', placeholder: t('connections.key_keep') });
  const form = h('form', { className: 'connection-edit-form' },
    h('label', { className: 'field' }, h('span', { text: t('connections.name') }), name),
    h('label', { className: 'field' }, h('span', { text: t('connections.base_url') }), url),
    h('label', { className: 'field' }, h('span', { text: t('connections.api_key') }), key),
    h('div', { className: 'row' },
      h('button', { type: 'submit', className: 'button primary small', text: t('action.save') }),
      h('button', { type: 'button', className: 'button secondary small', text: t('action.cancel'), onclick: () => { editing = null; renderConnections(); } })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { name: name.value.trim(), base_url: url.value.trim() };
    if (key.value) body.api_key = key.value;
    try {
      await update(connection, body);
      editing = null;
      renderConnections();
    } catch (error) {
      reportError(error);
    }
  });
  return h('tr', { className: 'connection-edit' }, h('td', { colSpan: 7 }, form));
}

async function update(connection, body) {
  await api(`/api/v1/connections/${encodeURIComponent(connection.id)}`, { method: 'POST', body });
  notify(t('connections.saved', { name: body.name || connection.name }));
  await loadConnections();
  modelsChanged();
}

async function verify(connection) {
  const result = await api(`/api/v1/connections/${encodeURIComponent(connection.id)}/verify`, { method: 'POST' });
  if (result?.ok) notify(t('connections.verified', { name: connection.name, count: formatNumber(result.models ?? 0) }));
  else reportError(new Error(t('connections.verify_failed', { name: connection.name, detail: result?.detail ?? '' })));
  await loadConnections();
}

async function remove(connection) {
  if (!window.confirm(t('connections.confirm_delete', { name: connection.name }))) return;
  await api(`/api/v1/connections/${encodeURIComponent(connection.id)}`, { method: 'DELETE' });
  notify(t('connections.deleted', { name: connection.name }));
  await loadConnections();
  modelsChanged();
}

// MARK: - Models

export async function loadModels() {
  const [list, settings] = await Promise.all([api('/api/models'), api('/api/v1/configs/models')]);
  catalog = list?.data ?? [];
  config = settings ?? config;
  renderModels();
}

function pricePerMillion(value) {
  const number = Number(value);
  if (value === null || value === undefined || Number.isNaN(number)) return '—';
  return formatNumber(number * 1e6, { style: 'currency', currency: 'USD', maximumFractionDigits: 2 });
}

function renderModels() {
  const hidden = new Set(config.HIDDEN_MODELS ?? []);
  const select = $('default-model');
  select.replaceChildren(h('option', { value: '', text: t('models.default_auto') }),
    ...catalog.map((m) => h('option', { value: m.id, text: m.name || m.id })));
  select.value = config.DEFAULT_MODELS && catalog.some((m) => m.id === config.DEFAULT_MODELS) ? config.DEFAULT_MODELS : '';
  $('models-body').replaceChildren(...catalog.map((model) => {
    const box = h('input', { type: 'checkbox', className: 'model-hidden', checked: hidden.has(model.id), dataset: { model: model.id },
      'aria-label': t('models.hide_label', { name: model.name || model.id }) });
    return h('tr', { dataset: { id: model.id } },
      h('td', {}, h('strong', { text: model.name || model.id }), h('br'), h('code', { className: 'small-text', text: model.id })),
      h('td', { text: t(`kind.${model.owned_by}`) }),
      h('td', { text: model.context_length ? formatNumber(model.context_length) : '—' }),
      h('td', { text: `${pricePerMillion(model.pricing?.prompt)} / ${pricePerMillion(model.pricing?.completion)}` }),
      h('td', {}, h('label', { className: 'check' }, box, h('span', { text: t('models.hidden') }))));
  }));
  show($('models-empty'), !catalog.length);
}
