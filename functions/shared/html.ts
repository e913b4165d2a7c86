/**
 * HTML escaping for server-rendered pages (the authenticator's pages and the local cloud's
 * emulated pages): one implementation, so every page escapes the same characters.
 */

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"'`]/g, (c) => ENTITIES[c] ?? c);
}
