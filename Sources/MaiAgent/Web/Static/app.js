// mAI web UI: the account shell (sign-in, sign-up, onboarding, pending), the chat page, settings
// and the admin pages. Plain ES modules, no build step. Lives within the agent's
// Content-Security-Policy: no inline script or style, and every piece of user-provided or model
// text goes through text nodes, never HTML.

import { $, h, show } from './js/dom.js';
import { t, setLanguage, preferredLanguage, language } from './js/i18n.js';
import { api, request, ApiError, setSessionEndedHandler } from './js/api.js';
import { initChat, openChatPage, resetChat, reloadModels, trackScroll } from './js/chat.js';
import { initSettings, applyTheme } from './js/settings.js';
import { initAdmin, loadConnections, loadModels as loadAdminModels } from './js/admin.js';
import { initUsage, openAdminUsage, openMyUsage, stopUsage } from './js/usage.js';
import { initBranding, loadBranding, loadPublicBranding } from './js/branding.js';
import { initKnowledge, openKnowledge, stopKnowledge } from './js/knowledge.js';

export { t };

// MARK: - Alert

function showAlert(message, kind = 'error') {
  $('alert-text').textContent = message;
  $('alert').dataset.kind = kind;
  show($('alert'));
  // The modal settings dialog hides the page's alert behind its backdrop: say it there too.
  if ($('settings-dialog').open) {
    $('settings-message').textContent = message;
    $('settings-message').dataset.kind = kind;
    show($('settings-message'));
  }
}

function clearAlert() {
  $('alert-text').textContent = '';
  show($('alert'), false);
  show($('settings-message'), false);
}

function reportError(error) {
  showAlert(error instanceof ApiError ? error.detail : String(error?.message ?? error));
}

// MARK: - State and screens

const state = {
  config: null,
  me: null,
  wantSignup: false,
};

function applyConfig(config) {
  state.config = config;
  const name = config?.name || 'mAI';
  document.title = name;
  $('brand-name').textContent = name;
  $('auth-brand-name').textContent = name;
  $('version').textContent = config?.version ? `${name} ${config.version}` : '';
}

function hideScreens() {
  for (const id of ['loading', 'auth-screen', 'pending-screen', 'app-screen']) show($(id), false);
}

/** Shows sign-in, sign-up or onboarding, depending on /api/config and what the visitor chose. */
function showSignedOut() {
  state.me = null;
  stopUsage();
  resetChat();
  const dialog = $('settings-dialog');
  if (dialog.open) dialog.close();
  hideScreens();
  document.body.dataset.view = 'auth';
  document.body.classList.remove('sidebar-open');
  show($('session-bar'), false);
  const features = state.config?.features ?? {};
  const onboarding = Boolean(state.config?.onboarding);
  const signupOpen = Boolean(features.enable_signup) && !onboarding;
  const signup = onboarding || (signupOpen && state.wantSignup);

  $('signup-title').textContent = t(onboarding ? 'onboarding.title' : 'signup.title');
  $('signup-submit').textContent = t(onboarding ? 'onboarding.submit' : 'signup.submit');
  show($('signup-intro'), onboarding);
  show($('to-signin-line'), !onboarding);
  show($('to-signup-line'), signupOpen);

  show($('signin-form'), !signup);
  show($('signup-form'), signup);
  show($('auth-screen'));
  const first = signup ? $('signup-name') : $('signin-email');
  first.focus();
}

function sessionEnded() {
  if (state.me) showAlert(t('error.session_expired'));
  showSignedOut();
}

function safeImage(url) {
  return typeof url === 'string' && /^data:image\/(png|jpeg|gif|webp);base64,/.test(url) ? url : '/static/user.svg';
}

function renderSessionBar() {
  const user = state.me;
  if (!user) return;
  $('user-name').textContent = user.name;
  $('user-avatar').src = safeImage(user.profile_image_url);
  $('user-role').textContent = t(`role.${user.role}`);
  $('user-role').dataset.role = user.role;
}

function showSignedIn(user) {
  state.me = user;
  hideScreens();
  renderSessionBar();
  show($('session-bar'));

  if (user.role === 'pending') {
    document.body.dataset.view = 'pending';
    show($('app-nav'), false);
    $('pending-email').textContent = user.email;
    show($('pending-screen'));
    return;
  }
  show($('app-nav'));
  $('password-username').value = user.email;
  show($('app-screen'));
  show($('nav-admin'), user.role === 'admin');
  route();
}

// MARK: - Routing (#/, #/c/<id>, #/usage, #/admin/<tab>)

const ADMIN_TABS = ['users', 'connections', 'models', 'usage', 'branding'];

function route() {
  if (!state.me || state.me.role === 'pending') return;
  const hash = location.hash || '#/';
  const admin = hash.match(/^#\/admin(?:\/(\w+))?$/);
  if (admin && state.me.role === 'admin') {
    showAdmin(ADMIN_TABS.includes(admin[1]) ? admin[1] : 'users');
    return;
  }
  if (hash === '#/usage') {
    showMyUsage();
    return;
  }
  if (hash === '#/knowledge') {
    showKnowledge();
    return;
  }
  const chat = hash.match(/^#\/c\/([^/]+)$/);
  showChat(chat ? decodeURIComponent(chat[1]) : null);
}

function setNavCurrent(view) {
  for (const [id, name] of [['nav-chat', 'chat'], ['nav-usage', 'usage'], ['nav-knowledge', 'knowledge'], ['nav-admin', 'admin']]) {
    if (view === name) $(id).setAttribute('aria-current', 'page');
    else $(id).removeAttribute('aria-current');
  }
}

function showChat(chatId) {
  stopUsage();
  hideKnowledge();
  document.body.dataset.view = 'chat';
  show($('admin-view'), false);
  show($('my-usage-view'), false);
  show($('chat-view'));
  setNavCurrent('chat');
  openChatPage(chatId).catch(reportError);
}

function showAdmin(tab) {
  hideKnowledge();
  document.body.dataset.view = 'admin';
  document.body.classList.remove('sidebar-open');
  show($('chat-view'), false);
  show($('my-usage-view'), false);
  show($('admin-view'));
  setNavCurrent('admin');
  for (const name of ADMIN_TABS) {
    const active = name === tab;
    const link = $(`tab-${name}`);
    link.setAttribute('aria-selected', String(active));
    link.tabIndex = active ? 0 : -1;
  }
  show($('admin-panel'), tab === 'users');
  show($('connections-panel'), tab === 'connections');
  show($('models-panel'), tab === 'models');
  show($('usage-panel'), tab === 'usage');
  show($('branding-panel'), tab === 'branding');
  if (tab === 'usage') {
    openAdminUsage();
    return;
  }
  stopUsage();
  if (tab === 'users') {
    loadUsers().catch(reportError);
    loadSignupSettings().catch(reportError);
  } else if (tab === 'connections') {
    loadConnections().catch(reportError);
  } else if (tab === 'branding') {
    loadBranding().catch(reportError);
  } else {
    loadAdminModels().catch(reportError);
  }
}

function showMyUsage() {
  hideKnowledge();
  document.body.dataset.view = 'usage';
  document.body.classList.remove('sidebar-open');
  show($('chat-view'), false);
  show($('admin-view'), false);
  show($('my-usage-view'));
  setNavCurrent('usage');
  openMyUsage();
}

function hideKnowledge() {
  stopKnowledge();
  show($('knowledge-view'), false);
}

function showKnowledge() {
  stopUsage();
  document.body.dataset.view = 'knowledge';
  document.body.classList.remove('sidebar-open');
  show($('chat-view'), false);
  show($('admin-view'), false);
  show($('my-usage-view'), false);
  show($('knowledge-view'));
  setNavCurrent('knowledge');
  openKnowledge({ admin: state.me?.role === 'admin' }).catch(reportError);
}

// MARK: - Admin: users

async function loadUsers() {
  const data = await api('/api/v1/users/?page=1&limit=100');
  renderUsers(data.users ?? []);
  $('users-total').textContent = t('users.total', { count: data.total ?? 0 });
}

function roleSelect(user) {
  const select = h('select', { className: 'role-select', 'aria-label': t('users.role') },
    ['admin', 'user', 'pending'].map((role) => h('option', { value: role, text: t(`role.${role}`) })));
  select.value = user.role;
  select.addEventListener('change', async () => {
    const role = select.value;
    select.disabled = true;
    try {
      await api(`/api/v1/users/${encodeURIComponent(user.id)}/update`, { method: 'POST', body: { role } });
      showAlert(t('users.role_changed', { email: user.email, role: t(`role.${role}`) }), 'success');
      if (user.id === state.me?.id) {
        await boot();
        return;
      }
      user.role = role;
    } catch (error) {
      select.value = user.role;
      reportError(error);
    } finally {
      select.disabled = false;
    }
  });
  return select;
}

function userRow(user) {
  const isMe = user.id === state.me?.id;
  const toggle = h('button', {
    type: 'button',
    className: 'button small secondary toggle-active',
    text: t(user.is_active ? 'users.deactivate' : 'users.activate'),
    onclick: () => setActive(user, !user.is_active).catch(reportError),
  });
  const remove = h('button', {
    type: 'button',
    className: 'button small danger delete-user',
    text: t('users.delete'),
    onclick: () => deleteUser(user).catch(reportError),
  });
  return h('tr', { dataset: { email: user.email, id: user.id, active: String(user.is_active) } },
    h('td', { className: 'cell-name' },
      h('img', { className: 'avatar small', src: safeImage(user.profile_image_url), alt: '', width: 24, height: 24 }),
      h('span', { text: user.name }),
      isMe ? h('span', { className: 'muted you', text: ` ${t('users.you')}` }) : null),
    h('td', { className: 'cell-email', text: user.email }),
    h('td', { className: 'cell-role' }, roleSelect(user)),
    h('td', { className: 'cell-status' },
      h('span', { className: `status ${user.is_active ? 'active' : 'inactive'}`, text: t(user.is_active ? 'users.active' : 'users.inactive') })),
    h('td', { className: 'cell-actions' }, toggle, remove));
}

function renderUsers(users) {
  $('users-body').replaceChildren(...users.map(userRow));
}

async function setActive(user, active) {
  await api(`/api/v1/users/${encodeURIComponent(user.id)}/${active ? 'activate' : 'deactivate'}`, { method: 'POST' });
  clearAlert();
  await loadUsers();
}

async function deleteUser(user) {
  if (!window.confirm(t('users.confirm_delete', { email: user.email }))) return;
  await api(`/api/v1/users/${encodeURIComponent(user.id)}`, { method: 'DELETE' });
  showAlert(t('users.deleted', { email: user.email }), 'success');
  await loadUsers();
}

// MARK: - Admin: sign-up settings

async function loadSignupSettings() {
  const config = await api('/api/v1/auths/admin/config');
  $('setting-enable-signup').checked = Boolean(config.ENABLE_SIGNUP);
  $('setting-default-role').value = config.DEFAULT_USER_ROLE === 'user' ? 'user' : 'pending';
}

// MARK: - Forms

/** Wires a form: disables it while `handler` runs and shows any error in the alert. */
function onSubmit(id, handler) {
  const form = $(id);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const controls = [...form.elements];
    const wasDisabled = controls.map((el) => el.disabled);
    controls.forEach((el) => { el.disabled = true; });
    form.setAttribute('aria-busy', 'true');
    try {
      await handler(form);
    } catch (error) {
      reportError(error);
    } finally {
      controls.forEach((el, i) => { el.disabled = wasDisabled[i]; });
      form.removeAttribute('aria-busy');
    }
  });
}

function value(id) {
  return $(id).value;
}

function wireForms() {
  onSubmit('signin-form', async () => {
    clearAlert();
    const user = await api('/api/v1/auths/signin', {
      method: 'POST',
      body: { email: value('signin-email').trim(), password: value('signin-password') },
    });
    $('signin-password').value = '';
    showSignedIn(user);
  });

  onSubmit('signup-form', async () => {
    clearAlert();
    const user = await api('/api/v1/auths/signup', {
      method: 'POST',
      body: { name: value('signup-name').trim(), email: value('signup-email').trim(), password: value('signup-password') },
    });
    $('signup-form').reset();
    if (state.config) state.config.onboarding = false;
    state.wantSignup = false;
    showSignedIn(user);
  });

  onSubmit('password-form', async (form) => {
    clearAlert();
    const changed = await api('/api/v1/auths/update/password', {
      method: 'POST',
      body: { password: value('password-current'), new_password: value('password-new') },
    });
    form.reset();
    $('password-username').value = state.me?.email ?? '';
    // A personal API key ends with the old password (whoever knew one may have made it).
    showAlert(t(changed?.api_key_revoked ? 'password.changed_key_revoked' : 'password.changed'), 'success');
  });

  onSubmit('add-user-form', async (form) => {
    clearAlert();
    const user = await api('/api/v1/auths/add', {
      method: 'POST',
      body: {
        name: value('add-user-name').trim(),
        email: value('add-user-email').trim(),
        password: value('add-user-password'),
        role: value('add-user-role'),
      },
    });
    form.reset();
    showAlert(t('add_user.added', { email: user.email }), 'success');
    await loadUsers();
  });

  onSubmit('signup-settings-form', async () => {
    clearAlert();
    const config = await api('/api/v1/auths/admin/config', {
      method: 'POST',
      body: { ENABLE_SIGNUP: $('setting-enable-signup').checked, DEFAULT_USER_ROLE: value('setting-default-role') },
    });
    $('setting-enable-signup').checked = Boolean(config.ENABLE_SIGNUP);
    $('setting-default-role').value = config.DEFAULT_USER_ROLE === 'user' ? 'user' : 'pending';
    showAlert(t('settings.saved'), 'success');
  });

  $('to-signup').addEventListener('click', (event) => {
    event.preventDefault();
    clearAlert();
    state.wantSignup = true;
    showSignedOut();
  });
  $('to-signin').addEventListener('click', (event) => {
    event.preventDefault();
    clearAlert();
    state.wantSignup = false;
    showSignedOut();
  });

  const signOut = async () => {
    clearAlert();
    try {
      await request('/api/v1/auths/signout', { method: 'POST' });
    } catch (error) {
      reportError(error);
    }
    state.wantSignup = false;
    await loadConfig();
    showSignedOut();
  };
  $('signout').addEventListener('click', signOut);
  $('pending-signout').addEventListener('click', signOut);
  $('alert-close').addEventListener('click', clearAlert);

  // Admin tabs: arrow keys move between them (WAI-ARIA tabs pattern).
  const tabs = ADMIN_TABS.map((name) => $(`tab-${name}`));
  tabs.forEach((tab, index) => tab.addEventListener('keydown', (event) => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    const rtl = document.documentElement.dir === 'rtl' ? -1 : 1;
    const next = tabs[(index + step * rtl + tabs.length) % tabs.length];
    next.focus();
    next.click();
  }));
}

// MARK: - Start

async function loadConfig() {
  try {
    applyConfig(await request('/api/config'));
  } catch (error) {
    if (!state.config) applyConfig(null);
    reportError(error);
  }
}

/** Loads the configuration and the session of the cookie, then shows the matching screen. */
async function boot() {
  await loadConfig();
  if (state.config?.onboarding) {
    showSignedOut();
    return;
  }
  try {
    showSignedIn(await api('/api/v1/auths/'));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) reportError(error);
    showSignedOut();
  }
}

async function start() {
  applyTheme();
  setSessionEndedHandler(sessionEnded);
  let configDefault = null;
  try {
    state.config = await request('/api/config');
    configDefault = state.config?.default_locale;
  } catch { /* boot() reports it */ }
  try {
    await setLanguage(preferredLanguage(configDefault));
  } catch (error) {
    console.error(error);
  }
  document.addEventListener('mai:language', () => {
    renderSessionBar();
    if (document.body.dataset.view === 'auth') {
      const onboarding = Boolean(state.config?.onboarding);
      $('signup-title').textContent = t(onboarding ? 'onboarding.title' : 'signup.title');
      $('signup-submit').textContent = t(onboarding ? 'onboarding.submit' : 'signup.submit');
    }
    if (document.body.dataset.view === 'admin' || document.body.dataset.view === 'usage') route();
  });
  wireForms();
  const notice = (message) => showAlert(message, 'success');
  initChat({ onError: reportError, onNavigate: (hash) => { location.hash = hash; } });
  trackScroll();
  initSettings({ onError: reportError, onNotice: notice });
  initAdmin({ onError: reportError, onNotice: notice, onModelsChanged: () => reloadModels().catch(() => {}) });
  initUsage({ onError: reportError, onNotice: notice });
  initBranding({
    onError: reportError,
    onNotice: notice,
    onName: (name) => {
      if (state.config) state.config.name = name;
      applyConfig(state.config ?? { name });
    },
  });
  loadPublicBranding();
  initKnowledge({ onError: reportError, onNotice: notice });
  window.addEventListener('hashchange', () => {
    clearAlert();
    route();
  });
  await boot();
  document.documentElement.dataset.ready = 'true';
  void language;
}

start();
