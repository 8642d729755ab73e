/**
 * File extension → media type, for static files and `file()` responses. Covers every extension
 * rust-web-server's `MimeType` knows and the common web ones. Textual types carry
 * `charset=utf-8` so browsers never guess an encoding.
 */

const UTF8 = '; charset=utf-8';

/** Types listed without a charset; `charset=utf-8` is appended to textual ones at build time. */
const TYPES: Readonly<Record<string, string>> = {
  // text
  html: 'text/html',
  htm: 'text/html',
  shtml: 'text/html',
  xhtml: 'application/xhtml+xml',
  css: 'text/css',
  js: 'text/javascript',
  mjs: 'text/javascript',
  cjs: 'text/javascript',
  json: 'application/json',
  map: 'application/json',
  jsonld: 'application/ld+json',
  webmanifest: 'application/manifest+json',
  xml: 'application/xml',
  xsl: 'application/xml',
  rss: 'application/rss+xml',
  atom: 'application/atom+xml',
  txt: 'text/plain',
  text: 'text/plain',
  log: 'text/plain',
  ini: 'text/plain',
  conf: 'text/plain',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  md: 'text/markdown',
  markdown: 'text/markdown',
  appcache: 'text/cache-manifest',
  manifest: 'text/cache-manifest',
  ics: 'text/calendar',
  vcf: 'text/vcard',
  vcard: 'text/vcard',
  vtt: 'text/vtt',
  srt: 'application/x-subrip',
  rtf: 'application/rtf',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  toml: 'application/toml',
  wgsl: 'text/wgsl',
  glsl: 'text/plain',
  sh: 'application/x-sh',
  // images
  svg: 'image/svg+xml',
  svgz: 'image/svg+xml',
  png: 'image/png',
  apng: 'image/apng',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  jpe: 'image/jpeg',
  jfif: 'image/jpeg',
  pjpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  ico: 'image/vnd.microsoft.icon',
  cur: 'image/x-icon',
  bmp: 'image/bmp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  heic: 'image/heic',
  heif: 'image/heif',
  jxl: 'image/jxl',
  psd: 'image/vnd.adobe.photoshop',
  // fonts
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  otf: 'font/otf',
  eot: 'application/vnd.ms-fontobject',
  // audio
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/ogg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  aac: 'audio/aac',
  m4a: 'audio/mp4',
  weba: 'audio/webm',
  mid: 'audio/midi',
  midi: 'audio/midi',
  // video
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  ogv: 'video/ogg',
  mov: 'video/quicktime',
  avi: 'video/x-msvideo',
  mkv: 'video/x-matroska',
  mpeg: 'video/mpeg',
  mpg: 'video/mpeg',
  '3gp': 'video/3gpp',
  '3g2': 'video/3gpp2',
  // MPEG transport stream (HLS segments); TypeScript sources are rarely served as files.
  ts: 'video/mp2t',
  m3u8: 'application/vnd.apple.mpegurl',
  mpd: 'application/dash+xml',
  flv: 'video/x-flv',
  // documents
  pdf: 'application/pdf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  epub: 'application/epub+zip',
  mobi: 'application/x-mobipocket-ebook',
  azw: 'application/vnd.amazon.ebook',
  ai: 'application/postscript',
  eps: 'application/postscript',
  ps: 'application/postscript',
  // archives and binaries
  zip: 'application/zip',
  gz: 'application/gzip',
  tgz: 'application/gzip',
  tar: 'application/x-tar',
  bz: 'application/x-bzip',
  bz2: 'application/x-bzip2',
  xz: 'application/x-xz',
  zst: 'application/zstd',
  br: 'application/x-brotli',
  '7z': 'application/x-7z-compressed',
  rar: 'application/vnd.rar',
  jar: 'application/java-archive',
  apk: 'application/vnd.android.package-archive',
  dmg: 'application/x-apple-diskimage',
  exe: 'application/vnd.microsoft.portable-executable',
  dll: 'application/vnd.microsoft.portable-executable',
  msi: 'application/x-msi',
  deb: 'application/vnd.debian.binary-package',
  rpm: 'application/x-rpm',
  iso: 'application/x-iso9660-image',
  bin: 'application/octet-stream',
  swf: 'application/x-shockwave-flash',
  wasm: 'application/wasm',
  // other
  pem: 'application/x-pem-file',
  crt: 'application/x-x509-ca-cert',
  der: 'application/x-x509-ca-cert',
  p12: 'application/x-pkcs12',
  pfx: 'application/x-pkcs12',
  torrent: 'application/x-bittorrent',
  gpx: 'application/gpx+xml',
  kml: 'application/vnd.google-earth.kml+xml',
  geojson: 'application/geo+json',
};

/** True when a textual body of `type` is UTF-8 by our choice and says so. */
function isTextual(type: string): boolean {
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type === 'application/javascript' ||
    type === 'application/xml' ||
    type === 'application/manifest+json' ||
    type === 'application/ld+json' ||
    type === 'application/geo+json' ||
    type === 'application/xhtml+xml' ||
    type === 'application/rss+xml' ||
    type === 'application/atom+xml' ||
    type === 'application/yaml' ||
    type === 'application/toml' ||
    type === 'application/x-sh' ||
    type === 'application/x-subrip' ||
    type === 'image/svg+xml'
  );
}

/** The full content types, charset included, keyed by lower-case extension. */
const CONTENT_TYPES: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  for (const ext of Object.keys(TYPES)) {
    const type = TYPES[ext]!;
    map.set(ext, isTextual(type) ? type + UTF8 : type);
  }
  return map;
})();

/** The type of bytes whose type is unknown (RFC 9110 §8.3). */
export const DEFAULT_MIME_TYPE = 'application/octet-stream';

/**
 * The content type for a file path, file name or bare extension (`'a/b.css'`, `'.css'`,
 * `'css'`), case-insensitively; `application/octet-stream` when unknown. The extension is what
 * follows the last `.` of the last path segment, so `x.tar.gz` is `application/gzip`.
 *
 * @example
 * ```ts
 * import { mimeType } from '@rws/core';
 * mimeType('index.html'); // 'text/html; charset=utf-8'
 * ```
 */
export function mimeType(pathOrExt: string): string {
  return lookupExtension(pathOrExt) ?? DEFAULT_MIME_TYPE;
}

/** Like `mimeType` but null for unknown extensions, so callers can pick their own fallback. */
export function lookupExtension(pathOrExt: string): string | null {
  let segmentStart = 0;
  let dot = -1;
  for (let i = pathOrExt.length - 1; i >= 0; i--) {
    const c = pathOrExt.charCodeAt(i);
    if (c === 47 /* / */ || c === 92 /* \ */) {
      segmentStart = i + 1;
      break;
    }
    if (c === 46 /* . */ && dot === -1) dot = i;
  }
  let ext: string;
  if (dot !== -1) ext = pathOrExt.slice(dot + 1);
  else if (segmentStart === 0)
    ext = pathOrExt; // a bare extension such as 'css'
  else return null; // a file name without an extension
  if (ext.length === 0) return null;
  return CONTENT_TYPES.get(ext) ?? CONTENT_TYPES.get(ext.toLowerCase()) ?? null;
}

/**
 * True when a body of `contentType` is worth compressing: text, JSON, JavaScript, XML, SVG,
 * WebAssembly and uncompressed fonts. Already-compressed formats (images, audio, video,
 * archives, woff/woff2) and `text/event-stream` (compression buffers events) are not.
 */
export function isCompressible(contentType: string | null | undefined): boolean {
  if (!contentType) return false;
  let end = contentType.indexOf(';');
  if (end === -1) end = contentType.length;
  const type = contentType.slice(0, end).trim().toLowerCase();
  if (type.startsWith('text/')) return type !== 'text/event-stream';
  if (type.endsWith('+json') || type.endsWith('+xml')) return true;
  switch (type) {
    case 'application/json':
    case 'application/javascript':
    case 'application/x-javascript':
    case 'application/ecmascript':
    case 'application/xml':
    case 'application/wasm':
    case 'application/yaml':
    case 'application/toml':
    case 'application/x-sh':
    case 'application/rtf':
    case 'application/postscript':
    case 'application/vnd.ms-fontobject':
    case 'application/x-font-ttf':
    case 'application/graphql-response+json':
    case 'application/vnd.apple.mpegurl':
    case 'application/x-www-form-urlencoded':
    case 'font/ttf':
    case 'font/otf':
    case 'image/bmp':
    case 'image/x-icon':
    case 'image/vnd.microsoft.icon':
      return true;
    default:
      return false;
  }
}
