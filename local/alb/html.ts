/** HTML helpers for the emulator's pages: everything interpolated goes through `escapeHtml`. */
import { escapeHtml } from '../core/html.ts';

export { escapeHtml };

/** A minimal standalone page; `bodyHtml` must already be escaped. */
export function page(title: string, bodyHtml: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}',
    'form{margin:.5rem 0}label{display:block;margin:.4rem 0}input[type=text],input[type=email]{width:100%}',
    '.user{display:flex;gap:1rem;align-items:center}.muted{color:#666}</style>',
    `</head><body>${bodyHtml}</body></html>`,
  ].join('');
}
