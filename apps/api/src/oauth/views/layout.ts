import { createHash } from 'node:crypto';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Tagged template: interpolated values are escaped unless wrapped with `raw()`. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  return new Raw(strings.reduce((out, s, i) => out + s + (i < values.length ? render(values[i]) : ''), ''));
}

export class Raw {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export const raw = (value: string) => new Raw(value);

function render(value: unknown): string {
  if (value instanceof Raw) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(value);
}

const STYLE = `
:root{--ink:#14213d;--muted:#4a5568;--line:#cbd5e0;--bg:#f3f5f8;--card:#fff;--brand:#0b3d91;--brand-dark:#082c69;--focus:#ffbf47;--error:#b00020;--error-bg:#fdecee}
*{box-sizing:border-box}
html{font-family:"Segoe UI",system-ui,-apple-system,Roboto,"Helvetica Neue",Arial,sans-serif;font-size:100%;line-height:1.5;color:var(--ink);background:var(--bg)}
body{margin:0;min-height:100vh;display:flex;flex-direction:column}
header{background:var(--ink);color:#fff;padding:.9rem 1.5rem}
.brand{font-weight:700;font-size:1.35rem;letter-spacing:.04em;color:#fff;text-decoration:none}
.brand span{font-weight:400;opacity:.85;font-size:1rem;margin-left:.6rem;letter-spacing:0}
main{flex:1;display:flex;justify-content:center;align-items:flex-start;padding:3rem 1rem}
.card{background:var(--card);width:100%;max-width:30rem;border-radius:.5rem;box-shadow:0 1px 3px rgba(20,33,61,.12),0 8px 24px rgba(20,33,61,.08);padding:2rem 2rem 1.75rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .5rem}
.lead{color:var(--muted);margin:0 0 1.5rem}
.alert{border-left:.3rem solid var(--error);background:var(--error-bg);color:var(--error);padding:.75rem 1rem;margin:0 0 1.25rem;border-radius:.25rem;font-weight:600}
.alert:focus{outline:3px solid var(--focus);outline-offset:2px}
label{display:block;font-weight:600;margin:0 0 .3rem}
.field{margin:0 0 1.1rem}
input[type=email],input[type=password]{width:100%;font:inherit;padding:.6rem .75rem;border:2px solid var(--muted);border-radius:.3rem;background:#fff;color:var(--ink)}
input[aria-invalid=true]{border-color:var(--error)}
input:focus,button:focus,a:focus{outline:3px solid var(--focus);outline-offset:2px}
.actions{display:flex;gap:.75rem;flex-wrap:wrap;margin-top:1.5rem}
button{font:inherit;font-weight:600;padding:.65rem 1.4rem;border-radius:.3rem;border:2px solid var(--brand);cursor:pointer}
.primary{background:var(--brand);color:#fff}
.primary:hover{background:var(--brand-dark);border-color:var(--brand-dark)}
.secondary{background:#fff;color:var(--brand)}
.secondary:hover{background:#eef2fa}
ul.scopes{margin:0 0 1.25rem;padding-left:1.25rem}
ul.scopes li{margin:.3rem 0}
.who{border-top:1px solid var(--line);padding-top:1rem;margin-top:1.5rem;color:var(--muted);font-size:.95rem}
footer{color:var(--muted);font-size:.85rem;text-align:center;padding:1rem}
code{font-size:.9em;background:#eef1f5;padding:.1rem .3rem;border-radius:.2rem}
`;

/** The Content-Security-Policy of the pages: no scripts at all, only this stylesheet. No form-action: the redirect chain ends at the client. */
export const PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'`;

export function layout(title: string, content: Raw): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} – Atea</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<header><a class="brand" href="https://www.atea.com/" aria-label="Atea">ATEA<span>Provisioning</span></a></header>
<main>
<div class="card">
${content}
</div>
</main>
<footer>Atea provisioning service</footer>
</body>
</html>
`.value;
}
