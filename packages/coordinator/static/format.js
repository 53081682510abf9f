// @ts-check
// Turning API values into the short text the page shows.
import { serverNow } from './api.js';

/**
 * @template T
 * @param {unknown} value
 * @returns {T[]}
 */
export function asArray(value) {
  return Array.isArray(value) ? value : [];
}

/** @param {unknown} progress */
export function clamp(progress) {
  const n = Number(progress);
  return Number.isFinite(n) ? Math.min(100, Math.max(0, n)) : 0;
}

/** @param {unknown} progress */
export function percent(progress) {
  const n = clamp(progress);
  return `${Number.isInteger(n) ? n : n.toFixed(1)}%`;
}

/** @param {number} ms */
export function clock(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** @param {number} ms */
export function ago(ms) {
  const seconds = Math.max(0, (serverNow() - ms) / 1000);
  if (seconds < 1) return 'just now';
  if (seconds < 60) return `${Math.floor(seconds)} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

/** @param {unknown} size */
export function bytes(size) {
  if (typeof size !== 'number') return '';
  if (size < 1024) return `${size} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** @param {unknown} sha */
export function shortSha(sha) {
  return typeof sha === 'string' && sha ? sha.slice(0, 12) : '';
}
