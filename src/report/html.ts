// The page shell shared by memsieve's reports: one self-contained HTML file, inline CSS and SVG,
// no scripts and no external resources, so it opens offline and from an archive years later.
import { escapeXml } from './svg.js';

export const escapeHtml = escapeXml;

const STYLE = `
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1000px;color:#222;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
.sub{color:#666;margin-top:0}table{border-collapse:collapse;font-size:.9rem}
td,th{padding:.25rem .6rem;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:.85em;word-break:break-all}
.figures{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}figcaption{font-size:.8rem;color:#555;max-width:460px}
`;

/** A full HTML document with the given title and body sections. */
export function page(title: string, sections: string[]): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${sections.join('\n')}
</body>
</html>
`;
}

/** A two-column table of label → value (values are escaped). */
export function keyValueTable(rows: [string, string][]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
}

/** A figure: the SVG markup and an escaped caption. */
export function figure(svgMarkup: string, caption: string, id?: string): string {
  return `<figure${id ? ` id="${escapeHtml(id)}"` : ''}>${svgMarkup}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}
