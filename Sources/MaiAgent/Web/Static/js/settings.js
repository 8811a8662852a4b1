// The settings dialog: language, theme, password, personal API key.

import { $, h, show, copyText, flashLabel } from './dom.js';
import { t, setLanguage, language, formatDate } from './i18n.js';
import { api, ApiError } from './api.js';

const THEME_KEY = 'mai.theme';
let reportError = (error) => console.error(error);
let notify = () => {};

/** Applies the stored theme: `data-theme` on <html> for light or dark; none follows the system. */
export function applyTheme(theme = localStorage.getItem(THEME_KEY) || 'system') {
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

export function initSettings({ onError, onNotice }) {
  reportError = onError;
  notify = onNotice;
  const dialog = $('settings-dialog');
  $('open-settings').addEventListener('click', () => openSettings());
  $('settings-close').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    $('api-key-value').value = '';
    show($('api-key-new'), false);
    $('open-settings').focus();
  });
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) dialog.close(); // a click on the backdrop
  });
  $('settings-language').addEventListener('change', async () => {
    try {
      await setLanguage($('settings-language').value, { remember: true });
    } catch (error) {
      reportError(error);
    }
  });
  $('settings-theme').addEventListener('change', () => {
    const theme = $('settings-theme').value;
    localStorage.setItem(THEME_KEY, theme);
    applyTheme(theme);
  });
  $('api-key-create').addEventListener('click', () => createKey().catch(reportError));
  $('api-key-delete').addEventListener('click', () => deleteKey().catch(reportError));
  $('api-key-copy').addEventListener('click', async () => {
    if (await copyText($('api-key-value').value)) flashLabel($('api-key-copy'), t('action.copied'));
  });
  document.addEventListener('mai:language', () => {
    if (dialog.open) loadKey().catch(() => {});
  });
}

export function openSettings() {
  const dialog = $('settings-dialog');
  $('settings-language').value = language();
  $('settings-theme').value = localStorage.getItem(THEME_KEY) || 'system';
  show($('api-key-new'), false);
  if (!dialog.open) dialog.showModal();
  $('settings-language').focus();
  loadKey().catch(reportError);
}

let hasKey = false;

async function loadKey() {
  let key = null;
  try {
    key = await api('/api/v1/auths/api_key');
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
  }
  hasKey = Boolean(key && (key.prefix || key.api_key));
  const status = $('api-key-status');
  if (hasKey) {
    const parts = [t('apikey.existing', { prefix: `${key.prefix ?? ''}…` })];
    if (key.created_at) parts.push(t('apikey.created', { date: formatDate(key.created_at) }));
    parts.push(key.last_used_at ? t('apikey.last_used', { date: formatDate(key.last_used_at) }) : t('apikey.never_used'));
    status.textContent = parts.join(' · ');
  } else {
    status.textContent = t('apikey.none');
  }
  $('api-key-create').textContent = t(hasKey ? 'apikey.replace' : 'apikey.create');
  show($('api-key-delete'), hasKey);
}

async function createKey() {
  if (hasKey && !window.confirm(t('apikey.confirm_replace'))) return;
  const created = await api('/api/v1/auths/api_key', { method: 'POST' });
  $('api-key-value').value = created?.api_key ?? '';
  show($('api-key-new'));
  $('api-key-value').focus();
  $('api-key-value').select();
  await loadKey();
}

async function deleteKey() {
  if (!window.confirm(t('apikey.confirm_delete'))) return;
  await api('/api/v1/auths/api_key', { method: 'DELETE' });
  show($('api-key-new'), false);
  $('api-key-value').value = '';
  notify(t('apikey.deleted'));
  await loadKey();
}

