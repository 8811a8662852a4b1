// The chat page: sidebar (new chat, search, pinned, history by date, per-chat actions), the model
// picker, the current branch of the message tree, the composer, streaming answers, stop,
// regenerate, edit-and-resend and the branch switcher.

import { $, h, show, copyText, flashLabel } from './dom.js';
import { t, language } from './i18n.js';
import { api, ApiError, streamCompletion } from './api.js';
import { renderMarkdown } from './markdown.js';
import { attachedItems, loadChatSources, rememberSources, sourcesElement } from './knowledge.js';

const state = {
  models: [],
  defaultModel: null,
  model: null,
  chats: [],
  pinned: [],
  page: 1,
  more: false,
  search: null, // null, or the results of the current search text
  searchText: '',
  archived: null, // null when hidden, else the archived chats
  current: null, // the open chat (ChatResponse), or null for a new one
  streaming: null, // { controller, assistantId, text, body, article, error, status }
  editing: null, // id of the user message being edited
  pollTimer: null,
  seq: 0, // bumps on every change of the open chat; late answers for an older state are dropped
};

let reportError = (error) => console.error(error);
let navigate = (hash) => { location.hash = hash; };

export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// MARK: - Entry points

export function initChat({ onError, onNavigate }) {
  reportError = onError;
  navigate = onNavigate;
  wireSidebar();
  wireComposer();
  document.addEventListener('mai:language', () => {
    renderSidebar();
    renderModels();
    renderMessages();
  });
}

/** Called when the chat page is shown: loads models and the history, then opens `chatId` (or a new chat). */
export async function openChatPage(chatId) {
  const loads = [];
  if (!state.models.length) loads.push(loadModels());
  loads.push(loadHistory());
  await Promise.all(loads.map((p) => p.catch(reportError)));
  if (chatId) await openChat(chatId);
  else startNewChat({ focus: true });
}

export function resetChat() {
  abortStreaming();
  Object.assign(state, { models: [], defaultModel: null, model: null, chats: [], pinned: [], search: null, searchText: '', archived: null, current: null, editing: null });
  $('chat-search').value = '';
}

export async function reloadModels() {
  await loadModels();
}

// MARK: - Models

async function loadModels() {
  const data = await api('/api/models');
  state.models = (data?.data ?? []).filter((m) => !m.hidden);
  state.defaultModel = data?.default_model ?? state.models[0]?.id ?? null;
  if (!state.models.some((m) => m.id === state.model)) state.model = chosenModel(state.current);
  renderModels();
}

function chosenModel(chat) {
  const wanted = chat?.chat?.models?.[0];
  if (wanted && state.models.some((m) => m.id === wanted)) return wanted;
  const last = localStorage.getItem('mai.model');
  if (!chat && last && state.models.some((m) => m.id === last)) return last;
  return state.defaultModel && state.models.some((m) => m.id === state.defaultModel) ? state.defaultModel : state.models[0]?.id ?? null;
}

function renderModels() {
  const select = $('model-select');
  select.replaceChildren(...state.models.map((m) => h('option', { value: m.id, text: m.name || m.id })));
  if (state.model) select.value = state.model;
  select.disabled = !state.models.length || Boolean(state.streaming);
  show($('no-models'), !state.models.length);
  updateComposerState();
}

function modelName(id) {
  return state.models.find((m) => m.id === id)?.name || id || t('chat.assistant');
}

// MARK: - History (sidebar)

async function loadHistory() {
  const [list, pinned] = await Promise.all([api('/api/v1/chats/list?page=1'), api('/api/v1/chats/pinned')]);
  state.chats = list ?? [];
  state.pinned = pinned ?? [];
  state.page = 1;
  state.more = state.chats.length >= 60;
  if (state.archived) state.archived = await api('/api/v1/chats/archived');
  if (state.searchText) await runSearch(state.searchText);
  renderSidebar();
}

async function loadMore() {
  const next = await api(`/api/v1/chats/list?page=${state.page + 1}`);
  state.page += 1;
  const known = new Set(state.chats.map((c) => c.id));
  state.chats.push(...(next ?? []).filter((c) => !known.has(c.id)));
  state.more = (next ?? []).length >= 60;
  renderSidebar();
}

/** Date groups for the sidebar: today, yesterday, previous 7 days, previous 30 days, then by month. */
function groupOf(seconds, now = new Date()) {
  const date = new Date(seconds * 1000);
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const day = 86400000;
  const time = date.getTime();
  if (time >= startOfToday) return { key: 'today', label: t('sidebar.today') };
  if (time >= startOfToday - day) return { key: 'yesterday', label: t('sidebar.yesterday') };
  if (time >= startOfToday - 7 * day) return { key: 'week', label: t('sidebar.previous_7_days') };
  if (time >= startOfToday - 30 * day) return { key: 'month', label: t('sidebar.previous_30_days') };
  const key = `${date.getFullYear()}-${date.getMonth()}`;
  const options = date.getFullYear() === now.getFullYear() ? { month: 'long' } : { month: 'long', year: 'numeric' };
  return { key, label: new Intl.DateTimeFormat(language(), options).format(date) };
}

function renderSidebar() {
  const list = $('chat-list');
  const sections = [];
  if (state.search) {
    sections.push(section(t('sidebar.search_results'), state.search, 'search'));
    if (!state.search.length) sections.push(h('p', { className: 'muted sidebar-empty', text: t('sidebar.no_results') }));
  } else {
    if (state.pinned.length) sections.push(section(t('sidebar.pinned'), state.pinned, 'pinned'));
    const groups = new Map();
    for (const chat of state.chats.filter((c) => !c.pinned)) {
      const group = groupOf(chat.updated_at);
      if (!groups.has(group.key)) groups.set(group.key, { label: group.label, chats: [] });
      groups.get(group.key).chats.push(chat);
    }
    for (const [key, group] of groups) sections.push(section(group.label, group.chats, key));
    if (!state.chats.length && !state.pinned.length) sections.push(h('p', { className: 'muted sidebar-empty', text: t('sidebar.empty') }));
    if (state.more) {
      sections.push(h('button', { type: 'button', className: 'button small secondary load-more', text: t('sidebar.load_more'),
        onclick: () => loadMore().catch(reportError) }));
    }
  }
  if (state.archived) {
    sections.push(section(t('sidebar.archived'), state.archived, 'archived'));
    if (!state.archived.length) sections.push(h('p', { className: 'muted sidebar-empty', text: t('sidebar.no_archived') }));
  }
  list.replaceChildren(...sections);
  $('toggle-archived').textContent = t(state.archived ? 'sidebar.hide_archived' : 'sidebar.show_archived');
  $('toggle-archived').setAttribute('aria-expanded', String(Boolean(state.archived)));
}

function section(label, chats, key) {
  const id = `chat-group-${key}`;
  return h('section', { className: 'chat-group', dataset: { group: key } },
    h('h2', { className: 'chat-group-title', id, text: label }),
    h('ul', { className: 'chat-items', 'aria-labelledby': id }, chats.map((chat) => chatItem(chat, key === 'archived'))));
}

function chatItem(chat, archived) {
  const active = state.current?.id === chat.id;
  const link = h('a', { className: 'chat-link', href: `#/c/${encodeURIComponent(chat.id)}`, text: chat.title || t('chat.untitled'),
    title: chat.title || '' });
  if (active) link.setAttribute('aria-current', 'page');
  link.addEventListener('click', () => closeSidebarOnPhone());
  const menu = h('div', { className: 'chat-menu', role: 'menu', hidden: true });
  const toggle = h('button', { type: 'button', className: 'chat-menu-button', 'aria-haspopup': 'menu', 'aria-expanded': 'false',
    'aria-label': t('sidebar.actions_for', { title: chat.title || t('chat.untitled') }), text: '⋯' });
  const close = () => {
    menu.hidden = true;
    toggle.setAttribute('aria-expanded', 'false');
  };
  const item = (className, key, action) => h('button', { type: 'button', role: 'menuitem', className, text: t(key), onclick: async () => {
    close();
    try { await action(); } catch (error) { reportError(error); }
  } });
  if (archived) {
    menu.append(
      item('chat-unarchive', 'sidebar.unarchive', () => toggleArchive(chat)),
      item('chat-delete', 'sidebar.delete', () => deleteChat(chat)),
    );
  } else {
    menu.append(
      item('chat-rename', 'sidebar.rename', () => startRename(li, chat)),
      item('chat-pin', chat.pinned ? 'sidebar.unpin' : 'sidebar.pin', () => togglePin(chat)),
      item('chat-archive', 'sidebar.archive', () => toggleArchive(chat)),
      item('chat-delete', 'sidebar.delete', () => deleteChat(chat)),
    );
  }
  toggle.addEventListener('click', (event) => {
    event.stopPropagation();
    const opening = menu.hidden;
    closeMenus();
    menu.hidden = !opening;
    toggle.setAttribute('aria-expanded', String(opening));
    if (opening) menu.querySelector('button')?.focus();
  });
  menu.addEventListener('keydown', (event) => {
    const items = [...menu.querySelectorAll('button')];
    const index = items.indexOf(document.activeElement);
    if (event.key === 'Escape') { close(); toggle.focus(); event.preventDefault(); }
    else if (event.key === 'ArrowDown') { items[(index + 1) % items.length].focus(); event.preventDefault(); }
    else if (event.key === 'ArrowUp') { items[(index - 1 + items.length) % items.length].focus(); event.preventDefault(); }
  });
  const li = h('li', { className: `chat-item${active ? ' active' : ''}${chat.pinned ? ' pinned' : ''}`, dataset: { id: chat.id } }, link, toggle, menu);
  return li;
}

function closeMenus() {
  for (const menu of document.querySelectorAll('.chat-menu')) menu.hidden = true;
  for (const button of document.querySelectorAll('.chat-menu-button')) button.setAttribute('aria-expanded', 'false');
}

function startRename(li, chat) {
  const link = li.querySelector('.chat-link');
  const input = h('input', { type: 'text', className: 'chat-rename-input', value: chat.title || '', maxLength: 500,
    'aria-label': t('sidebar.rename_label') });
  link.replaceWith(input);
  input.focus();
  input.select();
  let done = false;
  const finish = async (save) => {
    if (done) return;
    done = true;
    const title = input.value.trim();
    if (save && title && title !== chat.title) {
      try {
        const updated = await api(`/api/v1/chats/${encodeURIComponent(chat.id)}`, { method: 'POST', body: { chat: { title } } });
        if (state.current?.id === chat.id) {
          state.current.title = updated.title;
          renderTitle();
        }
        await loadHistory();
        return;
      } catch (error) {
        reportError(error);
      }
    }
    renderSidebar();
  };
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') { event.preventDefault(); finish(true); }
    else if (event.key === 'Escape') { event.preventDefault(); finish(false); }
  });
  input.addEventListener('blur', () => finish(true));
}

async function togglePin(chat) {
  await api(`/api/v1/chats/${encodeURIComponent(chat.id)}/pin`, { method: 'POST' });
  await loadHistory();
}

async function toggleArchive(chat) {
  await api(`/api/v1/chats/${encodeURIComponent(chat.id)}/archive`, { method: 'POST' });
  if (state.current?.id === chat.id && !state.archived) navigate('#/');
  await loadHistory();
}

async function deleteChat(chat) {
  if (!window.confirm(t('sidebar.confirm_delete', { title: chat.title || t('chat.untitled') }))) return;
  await api(`/api/v1/chats/${encodeURIComponent(chat.id)}`, { method: 'DELETE' });
  if (state.archived) state.archived = state.archived.filter((c) => c.id !== chat.id);
  if (state.current?.id === chat.id) navigate('#/');
  await loadHistory();
}

async function runSearch(text) {
  state.search = await api(`/api/v1/chats/search?text=${encodeURIComponent(text)}`);
}

function wireSidebar() {
  $('new-chat').addEventListener('click', () => {
    closeSidebarOnPhone();
    if (location.hash === '#/' || location.hash === '') startNewChat({ focus: true });
    else navigate('#/');
  });
  let timer = null;
  let sequence = 0;
  $('chat-search').addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const text = $('chat-search').value.trim();
      const mine = ++sequence;
      state.searchText = text;
      if (!text) {
        state.search = null;
        renderSidebar();
        return;
      }
      try {
        const results = await api(`/api/v1/chats/search?text=${encodeURIComponent(text)}`);
        if (mine !== sequence) return;
        state.search = results ?? [];
        renderSidebar();
      } catch (error) {
        reportError(error);
      }
    }, 300);
  });
  $('chat-search').addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && $('chat-search').value) {
      $('chat-search').value = '';
      $('chat-search').dispatchEvent(new Event('input'));
    }
  });
  $('toggle-archived').addEventListener('click', async () => {
    try {
      state.archived = state.archived ? null : await api('/api/v1/chats/archived');
      renderSidebar();
    } catch (error) {
      reportError(error);
    }
  });
  $('sidebar-toggle').addEventListener('click', () => setSidebarOpen(!document.body.classList.contains('sidebar-open')));
  $('sidebar-backdrop').addEventListener('click', () => setSidebarOpen(false));
  $('sidebar').addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && document.body.classList.contains('sidebar-open') && !event.defaultPrevented) {
      setSidebarOpen(false);
      $('sidebar-toggle').focus();
    }
  });
  document.addEventListener('click', (event) => {
    if (!event.target.closest?.('.chat-menu')) closeMenus();
  });
}

function setSidebarOpen(open) {
  document.body.classList.toggle('sidebar-open', open);
  $('sidebar-toggle').setAttribute('aria-expanded', String(open));
  show($('sidebar-backdrop'), open);
  if (open) $('chat-search').focus();
}

function closeSidebarOnPhone() {
  if (document.body.classList.contains('sidebar-open')) setSidebarOpen(false);
}

// MARK: - Opening chats

function startNewChat({ focus = false } = {}) {
  abortStreaming();
  stopPolling();
  state.current = null;
  state.editing = null;
  state.model = chosenModel(null);
  renderModels();
  renderTitle();
  renderMessages();
  renderSidebar();
  if (focus) $('composer-input').focus();
}

async function openChat(id) {
  if (state.streaming && state.current?.id === id) return;
  abortStreaming();
  stopPolling();
  state.editing = null;
  try {
    const chat = await api(`/api/v1/chats/${encodeURIComponent(id)}`);
    await loadChatSources(chat.id);
    setCurrent(chat);
    state.model = chosenModel(chat);
    renderModels();
    renderSidebar();
    $('composer-input').focus();
  } catch (error) {
    reportError(error);
    if (error instanceof ApiError && error.status === 404) navigate('#/');
  }
}

function setCurrent(chat) {
  state.current = chat;
  renderTitle();
  renderMessages();
  // An answer still being written (by another tab, or the server finishing a stopped one): look again shortly.
  stopPolling();
  const writing = branch().some((m) => m.status === 'streaming');
  if (writing && !state.streaming) {
    const seq = state.seq;
    state.pollTimer = setTimeout(async () => {
      state.pollTimer = null;
      if (state.current?.id !== chat.id || state.streaming) return;
      try {
        const fresh = await api(`/api/v1/chats/${encodeURIComponent(chat.id)}`);
        if (seq === state.seq && state.current?.id === chat.id && !state.streaming) setCurrent(fresh);
      } catch { /* the next open shows it */ }
    }, 1000);
  }
}

function stopPolling() {
  if (state.pollTimer) clearTimeout(state.pollTimer);
  state.pollTimer = null;
}

function renderTitle() {
  const title = state.current?.title || t('chat.new_chat');
  $('chat-title').textContent = title;
}

// MARK: - The message tree

function messagesMap() {
  return state.current?.chat?.history?.messages ?? {};
}

/** The current branch, root first. */
function branch() {
  const map = messagesMap();
  const result = [];
  let id = state.current?.chat?.history?.currentId;
  const seen = new Set();
  while (id && map[id] && !seen.has(id)) {
    seen.add(id);
    result.unshift(map[id]);
    id = map[id].parentId;
  }
  return result;
}

/** The message and its siblings (same parent), oldest first. */
function siblingsOf(message) {
  const map = messagesMap();
  if (message.parentId && map[message.parentId]) return map[message.parentId].childrenIds.filter((id) => map[id]);
  return Object.values(map).filter((m) => !m.parentId).sort((a, b) => a.timestamp - b.timestamp).map((m) => m.id);
}

/** The newest leaf under `id`: follows the newest child at each step. */
function newestLeaf(id) {
  const map = messagesMap();
  let node = map[id];
  while (node?.childrenIds?.length) {
    const children = node.childrenIds.map((c) => map[c]).filter(Boolean);
    if (!children.length) break;
    node = children.reduce((a, b) => (b.timestamp >= a.timestamp ? b : a));
  }
  return node?.id ?? id;
}

async function switchBranch(message, delta) {
  if (state.streaming) return;
  const siblings = siblingsOf(message);
  const index = siblings.indexOf(message.id) + delta;
  if (index < 0 || index >= siblings.length) return;
  const leaf = newestLeaf(siblings[index]);
  const chat = state.current;
  chat.chat.history.currentId = leaf; // show it at once; the server confirms
  const seq = ++state.seq;
  renderMessages();
  focusBranchSwitcher(siblings[index], delta);
  try {
    const updated = await api(`/api/v1/chats/${encodeURIComponent(chat.id)}`, { method: 'POST', body: { chat: { history: { currentId: leaf } } } });
    if (state.current?.id === chat.id && !state.streaming && seq === state.seq) {
      setCurrent(updated);
      focusBranchSwitcher(siblings[index], delta);
    }
  } catch (error) {
    reportError(error);
  }
}

function focusBranchSwitcher(id, delta) {
  const article = document.querySelector(`.message[data-id="${CSS.escape(id)}"]`);
  const button = article?.querySelector(delta < 0 ? '.branch-prev' : '.branch-next');
  if (button && !button.disabled) button.focus();
  else article?.querySelector('.branch-switcher button:not(:disabled)')?.focus();
}

function renderMessages() {
  const container = $('messages');
  const messages = branch();
  show($('empty-chat'), !messages.length);
  container.replaceChildren(...messages.map(messageElement));
  if (state.streaming) {
    const article = container.querySelector(`.message[data-id="${CSS.escape(state.streaming.assistantId)}"]`);
    if (article) {
      state.streaming.article = article;
      state.streaming.body = article.querySelector('.message-body');
      paintStreaming();
    }
  }
  scrollToEnd(true);
}

function messageElement(message) {
  const isUser = message.role === 'user';
  const streaming = state.streaming?.assistantId === message.id;
  const status = streaming ? 'streaming' : message.status || 'complete';
  const article = h('article', {
    className: `message ${isUser ? 'user' : 'assistant'}`,
    dataset: { id: message.id, role: message.role, status },
    'aria-label': isUser ? t('chat.you') : modelName(message.model),
  });
  const author = h('div', { className: 'message-author', text: isUser ? t('chat.you') : modelName(message.model) });
  article.append(author);

  if (isUser && state.editing === message.id) {
    article.append(editor(message));
    return article;
  }
  const body = h('div', { className: `message-body ${isUser ? 'plain' : 'markdown'}` });
  if (isUser) body.textContent = message.content;
  else body.append(renderMarkdown(message.content));
  article.append(body);
  if (!isUser) article.append(sourcesElement(message.id) ?? '');

  if (!isUser) {
    if (status === 'streaming') {
      article.append(h('p', { className: 'message-status writing', text: t('chat.writing') }));
    } else if (status === 'interrupted') {
      article.append(h('p', { className: 'message-status interrupted', role: 'status' },
        h('strong', { text: t('chat.interrupted') }), message.error ? ` ${message.error}` : ''));
    } else if (status === 'error') {
      article.append(h('p', { className: 'message-status error', role: 'status' },
        h('strong', { text: `${t('chat.error')} ` }), message.error || t('chat.error_unknown')));
    }
  }

  const actions = h('div', { className: 'message-actions' });
  const siblings = siblingsOf(message);
  if (siblings.length > 1) {
    const index = siblings.indexOf(message.id);
    actions.append(h('div', { className: 'branch-switcher', role: 'group', 'aria-label': t('chat.branches') },
      h('button', { type: 'button', className: 'icon-button branch-prev', disabled: index <= 0 || Boolean(state.streaming),
        'aria-label': t('chat.previous_branch'), text: '‹', onclick: () => switchBranch(message, -1) }),
      h('span', { className: 'branch-count', text: `${index + 1}/${siblings.length}` }),
      h('button', { type: 'button', className: 'icon-button branch-next', disabled: index >= siblings.length - 1 || Boolean(state.streaming),
        'aria-label': t('chat.next_branch'), text: '›', onclick: () => switchBranch(message, 1) })));
  }
  if (isUser) {
    actions.append(h('button', { type: 'button', className: 'action edit-message', text: t('chat.edit'), disabled: Boolean(state.streaming),
      onclick: () => {
        state.editing = message.id;
        renderMessages();
        const area = document.querySelector('.edit-input');
        area?.focus();
      } }));
  } else if (status !== 'streaming') {
    const copy = h('button', { type: 'button', className: 'action copy-message', text: t('action.copy') });
    copy.addEventListener('click', async () => {
      if (await copyText(message.content)) flashLabel(copy, t('action.copied'));
    });
    actions.append(copy, h('button', { type: 'button', className: 'action regenerate', text: t('chat.regenerate'),
      disabled: Boolean(state.streaming) || !state.model, onclick: () => regenerate(message) }));
  }
  article.append(actions);
  return article;
}

function editor(message) {
  const area = h('textarea', { className: 'edit-input', value: message.content, rows: 3, 'aria-label': t('chat.edit_label') });
  const save = h('button', { type: 'submit', className: 'button primary small edit-save', text: t('chat.save_submit') });
  const cancel = h('button', { type: 'button', className: 'button secondary small edit-cancel', text: t('action.cancel'),
    onclick: () => { state.editing = null; renderMessages(); } });
  const form = h('form', { className: 'edit-form' }, area, h('div', { className: 'edit-buttons' }, cancel, save));
  area.addEventListener('input', () => autoGrow(area));
  area.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') { event.preventDefault(); cancel.click(); }
    else if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) { event.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = area.value.trim();
    if (!text || state.streaming) return;
    state.editing = null;
    send(text, message.parentId ?? null);
  });
  requestAnimationFrame(() => autoGrow(area));
  return form;
}

// MARK: - Composer and sending

function wireComposer() {
  const input = $('composer-input');
  input.addEventListener('input', () => {
    autoGrow(input);
    updateComposerState();
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $('composer').requestSubmit();
    }
  });
  $('composer').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || state.streaming || !state.model) return;
    const last = branch().at(-1);
    input.value = '';
    autoGrow(input);
    send(text, last?.id ?? null);
  });
  $('stop-button').addEventListener('click', () => {
    if (state.streaming) state.streaming.controller.abort();
  });
  $('model-select').addEventListener('change', async () => {
    state.model = $('model-select').value;
    localStorage.setItem('mai.model', state.model);
    updateComposerState();
    const chat = state.current;
    if (chat) {
      try {
        await api(`/api/v1/chats/${encodeURIComponent(chat.id)}`, { method: 'POST', body: { chat: { models: [state.model] } } });
        chat.chat.models = [state.model];
      } catch (error) {
        reportError(error);
      }
    }
  });
  new ResizeObserver(() => scrollToEnd(false)).observe($('messages'));
}

function autoGrow(area) {
  area.style.blockSize = 'auto';
  area.style.blockSize = `${Math.min(area.scrollHeight + 2, 240)}px`;
}

function updateComposerState() {
  const busy = Boolean(state.streaming);
  const input = $('composer-input');
  input.disabled = busy;
  $('send-button').disabled = busy || !state.model || !input.value.trim();
  show($('send-button'), !busy);
  show($('stop-button'), busy);
  $('model-select').disabled = busy || !state.models.length;
  $('composer').setAttribute('aria-busy', String(busy));
}

let stickToEnd = true;
function scrollToEnd(force) {
  const scroller = $('chat-scroll');
  if (force || stickToEnd) scroller.scrollTop = scroller.scrollHeight;
}

export function trackScroll() {
  const scroller = $('chat-scroll');
  scroller.addEventListener('scroll', () => {
    stickToEnd = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  });
}

/** Adds `message` locally so the branch shows it before the server has answered. */
function addLocal(message) {
  const map = state.current.chat.history.messages;
  map[message.id] = message;
  if (message.parentId && map[message.parentId]) map[message.parentId].childrenIds = [...map[message.parentId].childrenIds, message.id];
  state.current.chat.history.currentId = message.id;
}

async function ensureChat() {
  if (state.current) return state.current;
  const chat = await api('/api/v1/chats/new', { method: 'POST', body: { chat: { models: [state.model] } } });
  state.current = chat;
  history.replaceState(null, '', `#/c/${encodeURIComponent(chat.id)}`);
  return chat;
}

/** Sends `text` as a new user message after `parentId` (null: the first message) and streams the answer. */
async function send(text, parentId) {
  let chat;
  try {
    chat = await ensureChat();
  } catch (error) {
    $('composer-input').value = text;
    reportError(error);
    return;
  }
  const now = Math.floor(Date.now() / 1000);
  const userId = newId();
  const assistantId = newId();
  addLocal({ id: userId, parentId, childrenIds: [], role: 'user', content: text, timestamp: now, status: 'complete' });
  addLocal({ id: assistantId, parentId: userId, childrenIds: [], role: 'assistant', content: '', model: state.model, timestamp: now, status: 'streaming' });
  await stream(chat, {
    model: state.model, chat_id: chat.id, parent_id: parentId, user_message_id: userId, assistant_message_id: assistantId,
    messages: [{ role: 'user', content: text }], stream: true, files: attachedItems(),
  }, assistantId);
}

async function regenerate(answer) {
  const chat = state.current;
  if (!chat || state.streaming || !answer.parentId) return;
  const assistantId = newId();
  addLocal({ id: assistantId, parentId: answer.parentId, childrenIds: [], role: 'assistant', content: '', model: state.model,
    timestamp: Math.floor(Date.now() / 1000), status: 'streaming' });
  await stream(chat, { model: state.model, chat_id: chat.id, parent_id: answer.parentId, assistant_message_id: assistantId, regenerate: true, stream: true, files: attachedItems() }, assistantId);
}

async function stream(chat, body, assistantId) {
  const controller = new AbortController();
  state.streaming = { controller, assistantId, text: '', body: null, article: null, error: null, status: 'streaming', frame: 0 };
  updateComposerState();
  $('messages').setAttribute('aria-busy', 'true');
  renderMessages();
  renderSidebar();
  const live = state.streaming;
  try {
    await streamCompletion(body, {
      signal: controller.signal,
      onStart: (headers) => {
        const id = headers.get('X-Message-Id');
        if (id && id !== live.assistantId) {
          const map = messagesMap();
          if (map[live.assistantId]) {
            map[id] = { ...map[live.assistantId], id };
            delete map[live.assistantId];
            const parent = map[map[id].parentId];
            if (parent) parent.childrenIds = parent.childrenIds.map((c) => (c === live.assistantId ? id : c));
            state.current.chat.history.currentId = id;
          }
          live.assistantId = id;
          renderMessages();
        }
      },
      onEvent: (event) => {
        if (event.sources) rememberSources(live.assistantId, event.sources);
        const choice = event.choices?.[0];
        const delta = choice?.delta?.content;
        if (typeof delta === 'string' && delta) {
          live.text += delta;
          schedulePaint();
        }
        if (event.error) {
          live.error = event.error.message || t('chat.error_unknown');
          live.status = live.text ? 'interrupted' : 'error';
        } else if (choice?.finish_reason === 'error') {
          live.error ??= t('chat.error_unknown');
        }
      },
    });
  } catch (error) {
    if (error?.name === 'AbortError') {
      live.status = 'interrupted';
    } else {
      live.error = error instanceof ApiError ? error.detail : String(error?.message ?? error);
      live.status = 'error';
      reportError(error);
    }
  }
  // Take the server's version of the chat (ids, branch, title), keeping what this tab saw of a
  // failure; the composer stays busy until then so nothing acts on a half-updated tree.
  let fresh = null;
  try {
    fresh = await api(`/api/v1/chats/${encodeURIComponent(chat.id)}`);
  } catch (error) {
    reportError(error);
  }
  state.streaming = null;
  state.seq += 1;
  if (state.current?.id === chat.id) {
    const stored = fresh?.chat?.history?.messages?.[live.assistantId];
    if (stored) {
      if (live.error) {
        stored.error = live.error;
        if (stored.status === 'complete' || stored.status === 'streaming') stored.status = live.text ? 'interrupted' : 'error';
      }
      if (live.status === 'interrupted' && stored.status === 'streaming') stored.status = 'interrupted';
      if (stored.content.length < live.text.length) stored.content = live.text;
      setCurrent(fresh);
    } else {
      const local = messagesMap()[live.assistantId];
      if (local) {
        local.content = live.text;
        local.status = live.error ? (live.text ? 'interrupted' : 'error') : live.status === 'streaming' ? 'complete' : live.status;
        if (live.error) local.error = live.error;
      }
      renderMessages();
    }
  }
  $('messages').setAttribute('aria-busy', 'false');
  updateComposerState();
  renderModels();
  announce(live);
  if (state.current?.id === chat.id) $('composer-input').focus();
  loadHistory().catch(reportError);
}

function schedulePaint() {
  const live = state.streaming;
  if (!live || live.frame) return;
  live.frame = requestAnimationFrame(() => {
    live.frame = 0;
    paintStreaming();
  });
}

function paintStreaming() {
  const live = state.streaming;
  if (!live?.body) return;
  live.body.replaceChildren(renderMarkdown(live.text));
  scrollToEnd(false);
}

function announce(live) {
  const region = $('chat-status');
  if (live.status === 'interrupted' && !live.error) region.textContent = t('chat.interrupted');
  else if (live.error) region.textContent = `${t('chat.error')} ${live.error}`;
  else region.textContent = t('chat.answer_done');
}

function abortStreaming() {
  if (state.streaming) state.streaming.controller.abort();
}
