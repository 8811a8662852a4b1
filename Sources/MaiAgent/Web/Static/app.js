// mAI web UI: the account shell (sign-in, sign-up, onboarding, pending, password, user admin).
// Plain ES module, no build step. Lives within the agent's Content-Security-Policy: no inline
// script or style, and every piece of user-provided text goes through textContent.

// MARK: - i18n

const dictionaries = {
  'en-US': {
    'loading': 'Loading…',
    'signout': 'Sign out',
    'alert.close': 'Close',
    'field.name': 'Name',
    'field.email': 'E-mail',
    'field.password': 'Password',
    'field.password_hint': 'At least 8 characters.',
    'signin.title': 'Sign in',
    'signin.submit': 'Sign in',
    'signin.no_account': 'No account yet?',
    'signin.to_signup': 'Create one',
    'signup.title': 'Create an account',
    'signup.submit': 'Create account',
    'signup.have_account': 'Already have an account?',
    'signup.to_signin': 'Sign in',
    'onboarding.title': 'Create the administrator account',
    'onboarding.intro': 'This is a new installation. The first account administers it.',
    'onboarding.submit': 'Create administrator account',
    'pending.title': 'Waiting for approval',
    'pending.text': 'An administrator has to approve your account before you can use it.',
    'pending.signed_in_as': 'Signed in as',
    'chat.title': 'Chat',
    'chat.coming': 'Chat arrives in the next release.',
    'password.title': 'Change password',
    'password.current': 'Current password',
    'password.new': 'New password',
    'password.submit': 'Change password',
    'password.changed': 'Your password has been changed.',
    'users.title': 'Users',
    'users.name': 'Name',
    'users.email': 'E-mail',
    'users.role': 'Role',
    'users.status': 'Status',
    'users.actions': 'Actions',
    'users.active': 'Active',
    'users.inactive': 'Deactivated',
    'users.deactivate': 'Deactivate',
    'users.activate': 'Activate',
    'users.delete': 'Delete',
    'users.you': '(you)',
    'users.total': '{count} account(s)',
    'users.confirm_delete': 'Delete the account of {email}? This cannot be undone.',
    'users.role_changed': 'The role of {email} is now {role}.',
    'users.deleted': 'The account of {email} has been deleted.',
    'add_user.title': 'Add user',
    'add_user.submit': 'Add user',
    'add_user.added': '{email} has been added.',
    'settings.title': 'Sign-up',
    'settings.enable_signup': 'Anyone can create an account',
    'settings.default_role': 'Role of new accounts',
    'settings.submit': 'Save',
    'settings.saved': 'Sign-up settings saved.',
    'role.admin': 'Administrator',
    'role.user': 'User',
    'role.pending': 'Pending',
    'error.network': 'The server cannot be reached. Check your connection and try again.',
    'error.unexpected': 'Something went wrong (HTTP {status}).',
    'error.session_expired': 'Your session has ended. Sign in again.',
  },
};

let locale = 'en-US';

/** The text for `key` in the current locale (English as fallback), with `{name}` placeholders filled. */
export function t(key, vars = {}) {
  const text = dictionaries[locale]?.[key] ?? dictionaries['en-US'][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in vars ? String(vars[name]) : match));
}

/** Fills every `data-i18n` element (textContent) and `data-i18n-label` element (aria-label). */
function translatePage(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
}

// MARK: - DOM helpers

const $ = (id) => document.getElementById(id);

/** Creates an element with properties and children; strings become text nodes (never HTML). */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'text') el.textContent = value;
    else if (name in el && name !== 'list') el[name] = value;
    else el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function show(el, visible = true) {
  el.hidden = !visible;
}

// MARK: - Alert

function showAlert(message, kind = 'error') {
  $('alert-text').textContent = message;
  $('alert').dataset.kind = kind;
  show($('alert'));
}

function clearAlert() {
  $('alert-text').textContent = '';
  show($('alert'), false);
}

// MARK: - API

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
    this.detail = detail;
  }
}

/** Endpoints whose 401 means "wrong input" or "no session", never "refresh and retry". */
const noRefresh = new Set([
  '/api/v1/auths/signin',
  '/api/v1/auths/signup',
  '/api/v1/auths/refresh',
  '/api/v1/auths/signout',
]);

let refreshing = null;

/** One refresh at a time; resolves to the new session user, or null when the session is over. */
function refreshSession() {
  refreshing ??= request('/api/v1/auths/refresh', { method: 'POST' })
    .then((user) => user)
    .catch(() => null)
    .finally(() => { refreshing = null; });
  return refreshing;
}

async function request(path, { method = 'GET', body } = {}) {
  const options = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    throw new ApiError(0, t('error.network'));
  }
  let data = null;
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('application/json')) {
    try { data = await response.json(); } catch { data = null; }
  }
  if (!response.ok) {
    const detail = data && typeof data.detail === 'string' ? data.detail : t('error.unexpected', { status: response.status });
    throw new ApiError(response.status, detail);
  }
  return data;
}

/**
 * Calls the API. On a 401, refreshes the session once and retries; when that is not possible
 * the page goes back to the sign-in form and the error is passed on.
 */
async function api(path, options = {}) {
  try {
    return await request(path, options);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401 || noRefresh.has(path)) throw error;
    const retried = await renewAndRetry(path, options);
    if (!retried) {
      sessionEnded();
      throw error;
    }
    return retried.value;
  }
}

/**
 * Refreshes the session and retries, one tab at a time: a refresh token works once, and two tabs
 * spending it together would look like a stolen token to the server and end the session. The tab
 * that waited tries its request again first, since the other tab's refresh already renewed the cookie.
 * Resolves to `{value}`, or null when the session is over.
 */
async function renewAndRetry(path, options) {
  const attempt = async () => {
    try {
      return { value: await request(path, options) };
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
    }
    const renewed = await refreshSession();
    if (!renewed) return null;
    return { value: await request(path, options) };
  };
  return navigator.locks ? navigator.locks.request('mai-session-refresh', attempt) : attempt();
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
  $('version').textContent = config?.version ? `${name} ${config.version}` : '';
  const wanted = config?.default_locale;
  if (wanted && dictionaries[wanted]) locale = wanted;
  document.documentElement.lang = locale;
}

function hideScreens() {
  for (const id of ['loading', 'auth-screen', 'pending-screen', 'app-screen']) show($(id), false);
}

/** Shows sign-in, sign-up or onboarding, depending on /api/config and what the visitor chose. */
function showSignedOut() {
  state.me = null;
  hideScreens();
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
  return typeof url === 'string' && (url.startsWith('/') || url.startsWith('data:image/')) && !url.startsWith('//')
    ? url
    : '/static/user.svg';
}

function showSignedIn(user) {
  state.me = user;
  hideScreens();
  $('user-name').textContent = user.name;
  $('user-avatar').src = safeImage(user.profile_image_url);
  $('user-role').textContent = t(`role.${user.role}`);
  $('user-role').dataset.role = user.role;
  show($('session-bar'));

  if (user.role === 'pending') {
    $('pending-email').textContent = user.email;
    show($('pending-screen'));
    return;
  }
  $('password-username').value = user.email;
  show($('app-screen'));
  const admin = user.role === 'admin';
  show($('admin-panel'), admin);
  if (admin) {
    loadUsers().catch(reportError);
    loadSignupSettings().catch(reportError);
  }
}

function reportError(error) {
  showAlert(error instanceof ApiError ? error.detail : String(error?.message ?? error));
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
    await api('/api/v1/auths/update/password', {
      method: 'POST',
      body: { password: value('password-current'), new_password: value('password-new') },
    });
    form.reset();
    $('password-username').value = state.me?.email ?? '';
    showAlert(t('password.changed'), 'success');
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
      await request('/api/v1/auths/signout');
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

translatePage();
wireForms();
boot();
