// The frame of an offline HTML report: one file, inline CSS (and script, when a page has
// one), and a Content-Security-Policy that allows exactly those two blocks by hash and no
// fetch of any kind, so a report opened from a ticket never reaches out, whatever text a
// server or runner managed to put in it. The fleet's page (store/fleet-html.ts) uses it too:
// data flows store -> payload, so the fleet side may import it, never the reverse.
import { createHash } from 'node:crypto';

/** Text for HTML content and quoted attribute values: every character with a meaning escaped. */
export function esc(s: string | number | null | undefined): string {
  if (s === null || s === undefined) return '';
  return String(s).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** A class-name token from a value that may be anything (a fleet outcome is a free string). */
export function tok(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9-]/g, '_').slice(0, 40) || '_';
}

const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export function htmlPage(title: string, css: string, body: string, script: string | null = null): string {
  const csp = [
    "default-src 'none'",
    `style-src ${hash(css)}`,
    `script-src ${script === null ? "'none'" : hash(script)}`,
    "img-src 'none'",
    "font-src 'none'",
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${css}</style>`,
    '</head><body>',
    body,
    script === null ? '' : `<script>${script}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

/** Colours per verdict class, shared by badges, grid cells and bars. */
export const CLASS_CSS = `
.c-ok{--c:#1a7f37;--b:#dafbe1}.c-dns{--c:#8250df;--b:#fbefff}.c-connect{--c:#cf222e;--b:#ffebe9}
.c-tls{--c:#bc4c00;--b:#fff1e5}.c-auth{--c:#9a6700;--b:#fff8c5}.c-smtp-policy{--c:#0969da;--b:#ddf4ff}
.c-rate-limit{--c:#1b7c83;--b:#d8f3f5}.c-proxy{--c:#bf3989;--b:#ffeff7}.c-unknown,.c-_,.c-failed,.c-rejected{--c:#57606a;--b:#eaeef2}
.c-unreachable{--c:#6e7781;--b:#f6f8fa}.c-pending{--c:#8c959f;--b:#f6f8fa}`;

export const BASE_CSS = `
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;margin:0 auto;max-width:1200px;padding:16px 24px}
h1{font-size:22px;margin:4px 0 12px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
code,pre,.mono{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}code{background:#f6f8fa;padding:1px 4px;border-radius:4px;overflow-wrap:anywhere}
pre{background:#f6f8fa;padding:8px;border-radius:6px;overflow:auto;max-height:480px;white-space:pre-wrap;overflow-wrap:anywhere}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}
.muted{color:#57606a}.warn{color:#9a6700}.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;color:var(--c);background:var(--b);border:1px solid var(--c)}
.card{border:2px solid var(--c);background:var(--b);border-radius:8px;padding:12px 16px;margin:8px 0}.card p{margin:6px 0}
.cell{background:var(--b);color:var(--c);font-weight:600}tr.disagree td{background:#fff8c5}
details{margin:4px 0}summary{cursor:pointer}svg text{font:11px ui-monospace,Menlo,Consolas,monospace}
${CLASS_CSS}`;
