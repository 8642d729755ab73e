import { describe, expect, it } from 'vitest';
import { DEFAULT_MIME_TYPE, isCompressible, lookupExtension, mimeType } from '../src/index.js';

const EXPECTED: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  json: 'application/json; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  svg: 'image/svg+xml; charset=utf-8',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  ico: 'image/vnd.microsoft.icon',
  bmp: 'image/bmp',
  tiff: 'image/tiff',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  otf: 'font/otf',
  eot: 'application/vnd.ms-fontobject',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
  webm: 'video/webm',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  ogv: 'video/ogg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  aac: 'audio/aac',
  m4a: 'audio/mp4',
  mov: 'video/quicktime',
  avi: 'video/x-msvideo',
  mkv: 'video/x-matroska',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  tgz: 'application/gzip',
  bz2: 'application/x-bzip2',
  '7z': 'application/x-7z-compressed',
  rar: 'application/vnd.rar',
  wasm: 'application/wasm',
  map: 'application/json; charset=utf-8',
  webmanifest: 'application/manifest+json; charset=utf-8',
  manifest: 'text/cache-manifest; charset=utf-8',
  appcache: 'text/cache-manifest; charset=utf-8',
  jsonld: 'application/ld+json; charset=utf-8',
  ics: 'text/calendar; charset=utf-8',
  vcf: 'text/vcard; charset=utf-8',
  rtf: 'application/rtf',
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
  apk: 'application/vnd.android.package-archive',
  dmg: 'application/x-apple-diskimage',
  exe: 'application/vnd.microsoft.portable-executable',
  msi: 'application/x-msi',
  deb: 'application/vnd.debian.binary-package',
  rpm: 'application/x-rpm',
  iso: 'application/x-iso9660-image',
  jar: 'application/java-archive',
  swf: 'application/x-shockwave-flash',
  psd: 'image/vnd.adobe.photoshop',
  ai: 'application/postscript',
  eps: 'application/postscript',
  heic: 'image/heic',
  heif: 'image/heif',
  jxl: 'image/jxl',
  '3gp': 'video/3gpp',
  mid: 'audio/midi',
  midi: 'audio/midi',
  opus: 'audio/ogg',
  weba: 'audio/webm',
  ts: 'video/mp2t',
  m3u8: 'application/vnd.apple.mpegurl',
  mpd: 'application/dash+xml',
  yaml: 'application/yaml; charset=utf-8',
  yml: 'application/yaml; charset=utf-8',
  toml: 'application/toml; charset=utf-8',
  wgsl: 'text/wgsl; charset=utf-8',
  glsl: 'text/plain; charset=utf-8',
};

describe('mimeType', () => {
  it.each(Object.entries(EXPECTED))('%s → %s', (ext, type) => {
    expect(mimeType(ext)).toBe(type);
    expect(mimeType(`.${ext}`)).toBe(type);
    expect(mimeType(`/srv/www/file.${ext}`)).toBe(type);
    expect(mimeType(`FILE.${ext.toUpperCase()}`)).toBe(type);
  });

  it('knows at least the ~90 extensions of rust-web-server', () => {
    expect(Object.keys(EXPECTED).length).toBeGreaterThanOrEqual(90);
  });

  it('uses the last extension of the last segment', () => {
    expect(mimeType('archive.tar.gz')).toBe('application/gzip');
    expect(mimeType('/a.dir/README')).toBe(DEFAULT_MIME_TYPE);
    expect(mimeType('C:\\site\\index.html')).toBe('text/html; charset=utf-8');
    expect(mimeType('dir.html/')).toBe(DEFAULT_MIME_TYPE);
    expect(mimeType('noext.')).toBe(DEFAULT_MIME_TYPE);
  });

  it('falls back to application/octet-stream', () => {
    expect(mimeType('x.unknownext')).toBe('application/octet-stream');
    expect(mimeType('')).toBe('application/octet-stream');
    expect(mimeType('constructor')).toBe('application/octet-stream');
    expect(lookupExtension('x.unknownext')).toBeNull();
    expect(lookupExtension('a.css')).toBe('text/css; charset=utf-8');
  });
});

describe('isCompressible', () => {
  it('accepts textual types', () => {
    for (const type of [
      'text/html; charset=utf-8',
      'TEXT/CSS',
      'application/json',
      'application/problem+json',
      'application/javascript',
      'image/svg+xml; charset=utf-8',
      'application/wasm',
      'font/ttf',
      ' application/xml ; q=1',
    ]) {
      expect(isCompressible(type), type).toBe(true);
    }
  });

  it('rejects compressed media, SSE and missing types', () => {
    for (const type of [
      'image/png',
      'video/mp4',
      'application/zip',
      'font/woff2',
      'text/event-stream',
      '',
      null,
      undefined,
    ]) {
      expect(isCompressible(type), String(type)).toBe(false);
    }
  });
});
