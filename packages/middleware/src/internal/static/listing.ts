/**
 * The directory listing page: self-contained HTML and CSS (no external assets, no script),
 * directories first, sortable by name, size or date through `?sort=` and `?order=`.
 */
import { escapeHtml } from '@rws/core';

/** One row of a listing. */
export interface ListingEntry {
  readonly name: string;
  readonly isDirectory: boolean;
  readonly size: number;
  readonly mtimeMs: number;
}

/** How a listing is ordered. */
export type ListingSort = 'name' | 'size' | 'date';

/** A human-readable size: `512 B`, `1.5 KiB`, `20 MiB`. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** `YYYY-MM-DD HH:MM` in UTC. */
function formatDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** Sorts in place: directories first, then by the key; names compare case-insensitively. */
export function sortEntries(
  entries: ListingEntry[],
  sort: ListingSort,
  isDescending: boolean,
): void {
  const dir = isDescending ? -1 : 1;
  entries.sort((a, b) => {
    if (a.isDirectory !== b.isDirectory) return a.isDirectory ? -1 : 1;
    let c = 0;
    if (sort === 'size') c = a.size - b.size;
    else if (sort === 'date') c = a.mtimeMs - b.mtimeMs;
    if (c === 0) c = a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name === b.name ? 0 : 1;
    if (c === 0) c = a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    return c * dir;
  });
}

const CSS = `:root{color-scheme:light dark;--fg:#1f2328;--muted:#656d76;--bg:#fff;--line:#d0d7de;--link:#0969da}
@media(prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#8d96a0;--bg:#0d1117;--line:#30363d;--link:#4493f8}}
*{box-sizing:border-box}body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:960px;margin:0 auto;padding:24px 16px}h1{font-size:18px;font-weight:600;word-break:break-all}
h1 a{color:var(--link);text-decoration:none}table{width:100%;border-collapse:collapse}
th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left}th a{color:var(--muted);text-decoration:none}
td.size,th.size{text-align:right;white-space:nowrap}td.date{white-space:nowrap;color:var(--muted)}
td a{color:var(--link);text-decoration:none;word-break:break-all}td a:hover{text-decoration:underline}
footer{margin-top:16px;color:var(--muted);font-size:12px}`;

/**
 * Renders the listing page. `urlPath` is the decoded directory path (starting and ending with
 * `/`); every name is HTML-escaped and every href percent-encoded.
 */
export function renderListing(
  urlPath: string,
  entries: ListingEntry[],
  sort: ListingSort,
  isDescending: boolean,
): string {
  const segments = urlPath.split('/').filter((s) => s.length > 0);
  let crumbs = '<a href="/">/</a>';
  let href = '/';
  for (const seg of segments) {
    href += `${encodeURIComponent(seg)}/`;
    crumbs += `<a href="${escapeHtml(href)}">${escapeHtml(seg)}/</a>`;
  }
  const header = (key: ListingSort, label: string, cls: string): string => {
    const nextDesc = sort === key && !isDescending;
    const arrow = sort === key ? (isDescending ? ' ↓' : ' ↑') : '';
    return `<th class="${cls}"><a href="?sort=${key}&amp;order=${nextDesc ? 'desc' : 'asc'}">${label}${arrow}</a></th>`;
  };
  let rows = '';
  if (segments.length > 0) {
    rows += '<tr><td><a href="../">../</a></td><td class="size">—</td><td class="date"></td></tr>';
  }
  for (const e of entries) {
    const link = encodeURIComponent(e.name) + (e.isDirectory ? '/' : '');
    const label = escapeHtml(e.name) + (e.isDirectory ? '/' : '');
    const size = e.isDirectory ? '—' : formatSize(e.size);
    rows += `<tr><td><a href="./${escapeHtml(link)}">${label}</a></td><td class="size">${size}</td><td class="date">${formatDate(e.mtimeMs)}</td></tr>`;
  }
  const title = escapeHtml(`Index of ${urlPath}`);
  const count = entries.length === 1 ? '1 item' : `${entries.length} items`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><style>${CSS}</style></head>
<body><main><h1>Index of ${crumbs}</h1>
<table><thead><tr>${header('name', 'Name', 'name')}${header('size', 'Size', 'size')}${header('date', 'Modified', 'date')}</tr></thead>
<tbody>${rows}</tbody></table>
<footer>${count} · served by rws</footer></main></body></html>
`;
}

/**
 * The default 404 page for browsers, in the listing's style: the path that was asked for
 * (escaped) and a link back to the root.
 */
export function renderNotFound(urlPath: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>404 Not Found</title><style>${CSS}</style></head>
<body><main><h1>404 Not Found</h1>
<p>Nothing is served at <code>${escapeHtml(urlPath)}</code>.</p>
<p><a href="/">Back to /</a></p>
<footer>served by rws</footer></main></body></html>
`;
}
