// Translations from /static/locales/<lang>.json, chosen from the browser, changeable in settings.

export const LANGUAGES = ['en', 'de', 'pl'];
const RTL = new Set(['ar', 'he', 'fa', 'ur']);
const STORAGE_KEY = 'mai.language';

let current = 'en';
let strings = {};
let fallback = {};

async function fetchLocale(lang) {
  const response = await fetch(`/static/locales/${lang}.json`, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`locale ${lang}: HTTP ${response.status}`);
  return response.json();
}

/** The language to use: the stored choice, else the first supported browser language, else English. */
export function preferredLanguage(serverDefault) {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored && LANGUAGES.includes(stored)) return stored;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = String(tag || '').toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  const base = String(serverDefault || '').toLowerCase().split('-')[0];
  return LANGUAGES.includes(base) ? base : 'en';
}

export function storedLanguage() {
  return localStorage.getItem(STORAGE_KEY);
}

/** Loads `lang` (and English as fallback), sets `<html lang dir>` and translates the page. */
export async function setLanguage(lang, { remember = false } = {}) {
  if (!LANGUAGES.includes(lang)) lang = 'en';
  if (!Object.keys(fallback).length) fallback = await fetchLocale('en');
  strings = lang === 'en' ? fallback : await fetchLocale(lang).catch(() => fallback);
  current = lang;
  if (remember) localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
  document.documentElement.dir = RTL.has(lang) ? 'rtl' : 'ltr';
  translatePage();
}

export function language() {
  return current;
}

/** The text for `key` in the current language (English as fallback), with `{name}` placeholders filled. */
export function t(key, vars = {}) {
  const text = strings[key] ?? fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in vars ? String(vars[name]) : match));
}

/** Fills `data-i18n` (text), `data-i18n-label` (aria-label), `data-i18n-placeholder` and `data-i18n-title`. */
export function translatePage(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.setAttribute('placeholder', t(el.dataset.i18nPlaceholder));
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.setAttribute('title', t(el.dataset.i18nTitle));
  document.dispatchEvent(new CustomEvent('mai:language'));
}

export function formatDate(seconds, options = { dateStyle: 'medium', timeStyle: 'short' }) {
  return new Intl.DateTimeFormat(current, options).format(new Date(seconds * 1000));
}

export function formatNumber(value, options = {}) {
  return new Intl.NumberFormat(current, options).format(value);
}
