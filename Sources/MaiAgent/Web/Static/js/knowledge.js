// Documents and knowledge: the Documents page (resumable uploads with progress, each file's
// processing state, collections with sharing), the `#` picker that attaches files and collections
// to the chat, and the numbered sources under answers that open the cited passage.

import { $, h, show } from './dom.js';
import { t, formatNumber } from './i18n.js';
import { api, request, ApiError } from './api.js';

const PART_BYTES = 4 * 1024 * 1024;

const state = {
  files: [],
  collections: [],
  people: [],
  attached: [], // [{type, id, name}]
  sources: new Map(), // assistant message id → citations
  pollTimer: null,
  picker: { open: false, items: [], index: 0, start: -1 },
};

let reportError = (error) => console.error(error);
let notice = () => {};

export function initKnowledge({ onError, onNotice }) {
  reportError = onError;
  notice = onNotice;
  $('upload-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('upload-input');
    const files = [...input.files];
    input.value = '';
    uploadAll(files).catch(reportError);
  });
  $('collection-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const name = $('collection-name').value.trim();
    if (!name) return;
    api('/api/v1/knowledge/create', { method: 'POST', body: { name } })
      .then(() => { $('collection-name').value = ''; return loadCollections(); })
      .catch(reportError);
  });
  $('citation-close').addEventListener('click', () => $('citation-dialog').close());
  $('retrieval-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const body = {};
    for (const input of $('retrieval-form').querySelectorAll('[data-setting]')) {
      if (input.value !== input.dataset.current) body[input.dataset.setting] = input.value.trim();
    }
    api('/api/v1/retrieval/config/update', { method: 'POST', body })
      .then((config) => { renderSettings(config); notice(t('knowledge.settings_saved')); })
      .catch(reportError);
  });
  wirePicker();
  document.addEventListener('mai:language', () => {
    if (!$('knowledge-view').hidden) render();
    renderAttachments();
  });
}

/** Shows the Documents page (with the retrieval settings for administrators). */
export async function openKnowledge({ admin = false } = {}) {
  show($('retrieval-settings'), admin);
  const loads = [loadFiles(), loadCollections(), loadPeople()];
  if (admin) loads.push(api('/api/v1/retrieval/config').then(renderSettings));
  await Promise.all(loads);
}

function renderSettings(config) {
  for (const input of $('retrieval-form').querySelectorAll('[data-setting]')) {
    const key = input.dataset.setting;
    input.value = config.values?.[key] ?? '';
    input.dataset.current = input.value;
    const source = config.sources?.[key] ?? 'default';
    $('retrieval-form').querySelector(`[data-source-for="${key}"]`).textContent = t(`knowledge.source.${source}`);
  }
}

export function stopKnowledge() {
  if (state.pollTimer) clearTimeout(state.pollTimer);
  state.pollTimer = null;
}

// MARK: - Files

async function loadFiles() {
  state.files = await api('/api/v1/files/');
  renderFiles();
  schedulePoll();
}

function schedulePoll() {
  stopKnowledge();
  const busy = state.files.some((file) => file.status === 'queued' || file.status === 'processing');
  if (busy) state.pollTimer = setTimeout(() => loadFiles().catch(reportError), 1000);
}

function statusText(file) {
  if (file.status === 'failed') return `${t('knowledge.status.failed')}: ${file.error ?? ''}`;
  if (file.status === 'uploading') {
    const percent = file.size ? Math.floor((100 * file.received) / file.size) : 0;
    return `${t('knowledge.status.uploading')} ${percent}%`;
  }
  return t(`knowledge.status.${file.status}`);
}

function fileRow(file) {
  return h('tr', { dataset: { id: file.id, status: file.status, name: file.filename } },
    h('td', { className: 'file-name', text: file.filename }),
    h('td', { className: 'file-kind', text: file.kind ?? '—' }),
    h('td', { className: 'file-status' }, h('span', { className: `file-state ${file.status}`, text: statusText(file) })),
    h('td', { className: 'file-passages', text: file.status === 'ready' ? formatNumber(file.chunk_count) : '—' }),
    h('td', { className: 'file-actions' },
      h('button', { type: 'button', className: 'button small danger delete-file', text: t('knowledge.delete'),
        onclick: () => deleteFile(file).catch(reportError) })));
}

function renderFiles() {
  $('files-body').replaceChildren(...state.files.map(fileRow));
  show($('files-empty'), !state.files.length);
}

async function deleteFile(file) {
  if (!window.confirm(t('knowledge.confirm_delete_file', { name: file.filename }))) return;
  await api(`/api/v1/files/${encodeURIComponent(file.id)}`, { method: 'DELETE' });
  state.attached = state.attached.filter((item) => item.id !== file.id);
  renderAttachments();
  await Promise.all([loadFiles(), loadCollections()]);
}

async function uploadAll(files) {
  for (const file of files) {
    try {
      await upload(file);
    } catch (error) {
      reportError(new ApiError(error.status ?? 0, `${file.name}: ${error.detail ?? error.message ?? error}`));
    }
  }
  await loadFiles();
}

/** Sends a file in parts; after a failed part, asks the server how much it has and goes on from there. */
async function upload(file) {
  const bar = h('progress', { max: 100, value: 0, className: 'upload-bar', 'aria-label': file.name });
  const item = h('li', { className: 'upload-item', dataset: { name: file.name } }, h('span', { text: file.name }), bar);
  $('upload-progress').append(item);
  try {
    let record = await api('/api/v1/files/uploads', { method: 'POST', body: { filename: file.name, size: file.size } });
    let failures = 0;
    while (record.status === 'uploading') {
      const offset = record.received;
      try {
        record = await putPart(record.id, offset, file.slice(offset, offset + PART_BYTES));
        failures = 0;
      } catch (error) {
        if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 409) throw error;
        failures += 1;
        if (failures > 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500 * failures));
        record = await api(`/api/v1/files/${encodeURIComponent(record.id)}`);
      }
      bar.value = file.size ? Math.floor((100 * record.received) / file.size) : 100;
    }
    bar.value = 100;
    notice(t('knowledge.uploaded', { name: file.name }));
  } finally {
    setTimeout(() => item.remove(), 1500);
  }
}

async function putPart(id, offset, blob) {
  const send = async () => {
    let response;
    try {
      response = await fetch(`/api/v1/files/uploads/${encodeURIComponent(id)}?offset=${offset}`, {
        method: 'PUT', credentials: 'same-origin', headers: { 'Content-Type': 'application/octet-stream', Accept: 'application/json' }, body: blob,
      });
    } catch {
      throw new ApiError(0, t('error.network'));
    }
    if (!response.ok) {
      let detail = t('error.unexpected', { status: response.status });
      try { detail = (await response.json()).detail ?? detail; } catch { /* keep */ }
      throw new ApiError(response.status, detail);
    }
    return response.json();
  };
  try {
    return await send();
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    await request('/api/v1/auths/refresh', { method: 'POST' }); // session renewal, then once more
    return send();
  }
}

// MARK: - Collections

async function loadCollections() {
  state.collections = await api('/api/v1/knowledge/');
  renderCollections();
}

async function loadPeople() {
  try { state.people = await api('/api/v1/knowledge/people'); } catch { state.people = []; }
}

function render() {
  renderFiles();
  renderCollections();
}

function collectionCard(collection) {
  const files = collection.file_ids.map((id) => state.files.find((f) => f.id === id)).filter(Boolean);
  const owner = collection.write_access;
  const card = h('li', { className: 'collection', dataset: { id: collection.id, name: collection.name } },
    h('h3', { className: 'collection-name', text: collection.name }),
    h('p', { className: 'muted collection-sharing', text: collection.everyone ? t('knowledge.shared_everyone')
      : collection.user_ids.length ? t('knowledge.shared_people', { count: collection.user_ids.length }) : t('knowledge.private') }),
    h('p', { className: 'collection-count', text: t('knowledge.file_count', { count: collection.file_ids.length }) }),
    h('ul', { className: 'collection-files' }, files.map((file) => h('li', { text: file.filename }))));
  if (!owner) return card;
  const choose = h('select', { className: 'collection-add-select', 'aria-label': t('knowledge.add_file') },
    h('option', { value: '', text: t('knowledge.add_file') }),
    state.files.filter((f) => !collection.file_ids.includes(f.id)).map((f) => h('option', { value: f.id, text: f.filename })));
  choose.addEventListener('change', () => {
    if (!choose.value) return;
    api(`/api/v1/knowledge/${encodeURIComponent(collection.id)}/file/add`, { method: 'POST', body: { file_id: choose.value } })
      .then(loadCollections).catch(reportError);
  });
  const everyone = h('input', { type: 'checkbox', className: 'collection-everyone', checked: collection.everyone });
  const people = h('select', { multiple: true, className: 'collection-people', 'aria-label': t('knowledge.share_with') },
    state.people.map((p) => h('option', { value: p.id, text: `${p.name} <${p.email}>`, selected: collection.user_ids.includes(p.id) })));
  const save = h('button', { type: 'button', className: 'button small secondary collection-share', text: t('knowledge.save_sharing'),
    onclick: () => api(`/api/v1/knowledge/${encodeURIComponent(collection.id)}/update`, {
      method: 'POST', body: { everyone: everyone.checked, user_ids: [...people.selectedOptions].map((o) => o.value) },
    }).then(() => { notice(t('knowledge.sharing_saved')); return loadCollections(); }).catch(reportError) });
  const remove = h('button', { type: 'button', className: 'button small danger collection-delete', text: t('knowledge.delete'),
    onclick: () => {
      if (!window.confirm(t('knowledge.confirm_delete_collection', { name: collection.name }))) return;
      api(`/api/v1/knowledge/${encodeURIComponent(collection.id)}/delete`, { method: 'DELETE' })
        .then(() => Promise.all([loadCollections(), loadFiles()])).catch(reportError);
    } });
  card.append(choose,
    h('fieldset', { className: 'collection-share-box' },
      h('legend', { text: t('knowledge.sharing') }),
      h('label', { className: 'check' }, everyone, ` ${t('knowledge.everyone')}`),
      people, save),
    remove);
  return card;
}

function renderCollections() {
  $('collections-list').replaceChildren(...state.collections.map(collectionCard));
  show($('collections-empty'), !state.collections.length);
}

// MARK: - Attaching to the chat: the `#` picker

/** What the next message is answered from: [{type, id}]. */
export function attachedItems() {
  return state.attached.map(({ type, id }) => ({ type, id }));
}

function renderAttachments() {
  const box = $('attachments');
  box.replaceChildren(...state.attached.map((item) => h('span', { className: 'attachment', dataset: { id: item.id, type: item.type } },
    h('span', { className: 'attachment-kind', text: t(item.type === 'collection' ? 'knowledge.kind_collection' : 'knowledge.kind_file') }),
    h('span', { className: 'attachment-name', text: item.name }),
    h('button', { type: 'button', className: 'icon-button attachment-remove', 'aria-label': t('knowledge.detach', { name: item.name }), text: '×',
      onclick: () => { state.attached = state.attached.filter((a) => a !== item); renderAttachments(); } }))));
  show(box, state.attached.length > 0);
}

async function pickerItems(query) {
  if (!state.files.length && !state.collections.length) {
    try {
      [state.files, state.collections] = await Promise.all([api('/api/v1/files/'), api('/api/v1/knowledge/')]);
    } catch (error) { reportError(error); }
  }
  const q = query.toLowerCase();
  const items = [
    ...state.collections.map((c) => ({ type: 'collection', id: c.id, name: c.name })),
    ...state.files.filter((f) => f.status === 'ready').map((f) => ({ type: 'file', id: f.id, name: f.filename })),
  ];
  return items.filter((item) => item.name.toLowerCase().includes(q) && !state.attached.some((a) => a.id === item.id)).slice(0, 20);
}

function wirePicker() {
  const input = $('composer-input');
  input.addEventListener('input', () => updatePicker().catch(reportError));
  input.addEventListener('keydown', (event) => {
    const picker = state.picker;
    if (!picker.open) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      picker.index = (picker.index + (event.key === 'ArrowDown' ? 1 : -1) + picker.items.length) % picker.items.length;
      renderPicker();
    } else if (event.key === 'Enter' || event.key === 'Tab') {
      if (!picker.items.length) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      choose(picker.items[picker.index]);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      closePicker();
    }
  }, { capture: true });
  // Refresh the lists each time the chat page is used, so new uploads show up.
  input.addEventListener('focus', () => { state.files = []; state.collections = []; });
}

async function updatePicker() {
  const input = $('composer-input');
  const before = input.value.slice(0, input.selectionStart);
  const match = before.match(/(?:^|\s)#([^\s#]*)$/);
  if (!match) { closePicker(); return; }
  state.picker.start = before.length - match[1].length - 1;
  state.picker.items = await pickerItems(match[1]);
  state.picker.index = 0;
  state.picker.open = true;
  renderPicker();
}

function renderPicker() {
  const list = $('hash-picker');
  const { items, index } = state.picker;
  list.replaceChildren(...(items.length ? items.map((item, i) => h('li', {
    role: 'option', id: `pick-${i}`, className: 'pick', 'aria-selected': String(i === index), dataset: { id: item.id, type: item.type },
    onmousedown: (event) => { event.preventDefault(); choose(item); },
  }, h('span', { className: 'attachment-kind', text: `${t(item.type === 'collection' ? 'knowledge.kind_collection' : 'knowledge.kind_file')} ` }), item.name)) : [h('li', { className: 'pick muted', text: t('knowledge.nothing_to_attach') })]));
  show(list, true);
  $('composer-input').setAttribute('aria-activedescendant', items.length ? `pick-${index}` : '');
}

function closePicker() {
  state.picker.open = false;
  show($('hash-picker'), false);
  $('composer-input').removeAttribute('aria-activedescendant');
}

function choose(item) {
  const input = $('composer-input');
  const start = state.picker.start;
  input.value = input.value.slice(0, start) + input.value.slice(input.selectionStart).replace(/^\s*/, '');
  input.setSelectionRange(start, start);
  state.attached.push(item);
  closePicker();
  renderAttachments();
  input.dispatchEvent(new Event('input'));
  input.focus();
}

// MARK: - Sources under answers

/** Loads the sources cited by the answers of a chat. */
export async function loadChatSources(chatId) {
  try {
    const map = await api(`/api/v1/knowledge/sources/${encodeURIComponent(chatId)}`);
    for (const [id, list] of Object.entries(map ?? {})) state.sources.set(id, list);
  } catch { /* answers still show without their sources */ }
}

export function rememberSources(messageId, sources) {
  if (Array.isArray(sources)) state.sources.set(messageId, sources);
}

function sourceLine(citation) {
  if (!citation.unit || !citation.number) return citation.filename;
  return `${citation.filename}, ${t(`knowledge.unit.${citation.unit}`)} ${citation.number}${citation.label ? ` (${citation.label})` : ''}`;
}

/** The numbered sources of an answer, or null. */
export function sourcesElement(messageId) {
  const list = state.sources.get(messageId);
  if (!list?.length) return null;
  return h('div', { className: 'sources', role: 'group', 'aria-label': t('knowledge.sources') },
    h('span', { className: 'sources-label', text: t('knowledge.sources') }),
    list.map((citation) => h('button', { type: 'button', className: 'citation', dataset: { index: String(citation.index), passage: String(citation.passage_id) },
      onclick: () => openCitation(citation).catch(reportError) }, `[${citation.index}] ${sourceLine(citation)}`)));
}

async function openCitation(citation) {
  // The passage as the server has it now (and only if still visible to this employee).
  const passage = await api(`/api/v1/knowledge/passages/${encodeURIComponent(citation.passage_id)}`);
  $('citation-title').textContent = `[${citation.index}] ${sourceLine(passage)}`;
  $('citation-text').textContent = passage.text;
  $('citation-dialog').showModal();
}
