// Branding: shows the instance's name, logo and favicon (also on the sign-in page), and lets an
// administrator change them under Admin → Branding. The colours arrive as /branding.css (a style
// sheet, so the strict Content-Security-Policy needs no inline style); after a change the page
// swaps in the new style sheet, logo and favicon at once.

import { $, h } from './dom.js';
import { t } from './i18n.js';
import { api, request, ApiError } from './api.js';

/** The colour variables a brand may set, as in style.css (--color-<key>). */
const COLOR_KEYS = ['primary', 'primary-hover', 'on-primary', 'bg', 'surface', 'surface-alt', 'text', 'muted', 'border', 'focus'];

let reportError = (error) => console.error(error);
let notify = () => {};
let onNameChanged = () => {};
let current = null;

/** Points the style sheet, logo and favicon at `version` so the browser fetches the new ones. */
export function applyBranding(branding) {
  if (!branding) return;
  const version = encodeURIComponent(branding.version ?? 'default');
  $('brand-stylesheet').href = `/branding.css?v=${version}`;
  $('brand-favicon').href = `/favicon.ico?v=${version}`;
  for (const id of ['brand-logo', 'auth-brand-logo', 'branding-logo-preview']) $(id).src = `/branding/logo?v=${version}`;
  $('branding-favicon-preview').src = `/favicon.ico?v=${version}`;
  if (branding.name) {
    $('auth-brand-name').textContent = branding.name;
    onNameChanged(branding.name);
  }
}

/** Loads the public branding (signed out too). */
export async function loadPublicBranding() {
  try {
    applyBranding(await request('/api/v1/branding'));
  } catch (error) {
    console.error(error);
  }
}

function colorRows(scheme) {
  const fieldset = $(`branding-${scheme}`);
  fieldset.replaceChildren(fieldset.querySelector('legend') ?? h('legend', { text: t(`branding.${scheme}`) }));
  for (const key of COLOR_KEYS) {
    const id = `branding-${scheme}-${key}`;
    fieldset.append(h('label', { className: 'field color-field' },
      h('span', { text: t(`branding.color.${key}`) }),
      h('input', { id, name: `${scheme}.${key}`, type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: '#rrggbb', maxLength: 7, className: 'color-input' })));
  }
}

function imageInfo(image) {
  if (!image) return t('branding.none');
  return t('branding.image_info', { type: image.content_type, kib: (image.bytes / 1024).toFixed(1) });
}

function render(state) {
  current = state;
  $('branding-name').value = state.custom_name ? state.name : '';
  $('branding-name').placeholder = state.name;
  for (const scheme of ['light', 'dark']) {
    for (const key of COLOR_KEYS) $(`branding-${scheme}-${key}`).value = state[scheme]?.[key] ?? '';
  }
  $('branding-logo-info').textContent = imageInfo(state.logo);
  $('branding-favicon-info').textContent = imageInfo(state.favicon);
  $('branding-logo-remove').disabled = !state.logo;
  $('branding-favicon-remove').disabled = !state.favicon;
}

/** Opens Admin → Branding. */
export async function loadBranding() {
  const state = await api('/api/v1/admin/branding');
  render(state);
}

function changed(state, message) {
  render(state);
  applyBranding(state);
  notify(message);
}

async function upload(which, file) {
  const response = await fetch(`/api/v1/admin/branding/${which}`, {
    method: 'PUT', credentials: 'same-origin', headers: { Accept: 'application/json', 'Content-Type': 'application/octet-stream' }, body: file,
  });
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  if (!response.ok) throw new ApiError(response.status, data?.detail ?? t('error.unexpected', { status: response.status }));
  return data;
}

export function initBranding({ onError, onNotice, onName }) {
  reportError = onError;
  notify = onNotice;
  onNameChanged = onName;
  colorRows('light');
  colorRows('dark');
  document.addEventListener('mai:language', () => {
    colorRows('light');
    colorRows('dark');
    if (current) render(current);
  });

  $('branding-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { name: $('branding-name').value.trim() || null, light: {}, dark: {} };
    for (const scheme of ['light', 'dark']) {
      for (const key of COLOR_KEYS) {
        const value = $(`branding-${scheme}-${key}`).value.trim();
        if (value) body[scheme][key] = value;
      }
    }
    try {
      changed(await api('/api/v1/admin/branding', { method: 'PUT', body }), t('branding.saved'));
    } catch (error) {
      reportError(error);
    }
  });
  $('branding-reset').addEventListener('click', async () => {
    if (!window.confirm(t('branding.reset_confirm'))) return;
    try {
      changed(await api('/api/v1/admin/branding', { method: 'DELETE' }), t('branding.reset_done'));
    } catch (error) {
      reportError(error);
    }
  });
  for (const which of ['logo', 'favicon']) {
    const input = $(`branding-${which}-file`);
    input.addEventListener('change', async () => {
      const file = input.files?.[0];
      if (!file) return;
      try {
        changed(await upload(which, file), t(`branding.${which}_saved`));
      } catch (error) {
        reportError(error);
      } finally {
        input.value = '';
      }
    });
    $(`branding-${which}-remove`).addEventListener('click', async () => {
      try {
        changed(await api(`/api/v1/admin/branding/${which}`, { method: 'DELETE' }), t(`branding.${which}_removed`));
      } catch (error) {
        reportError(error);
      }
    });
  }
}
