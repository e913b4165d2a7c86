/**
 * HTML escaping for the emulators' own pages (the identity provider's login page, the emulated
 * Airflow webserver). The local cloud keeps its own escaper rather than the product's
 * (functions/shared/html.ts), so the emulated pages never depend on the code they help test.
 */

const REPLACEMENTS: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for element content and for quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => REPLACEMENTS[c] ?? c);
}
