/**
 * Just enough XML for S3 responses: the text of flat elements. S3 response bodies are
 * machine-generated, element names are fixed, and values are escaped text (no CDATA, no
 * nested elements of the same name), so a regular expression per element is exact.
 */

/** Text of every `<name>…</name>` in `xml`, entity-decoded. */
function xmlValues(xml: string, name: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`, 'g');
  for (const match of xml.matchAll(re)) out.push(decodeXml(match[1] ?? ''));
  return out;
}

/** Text of the first `<name>…</name>`, or undefined. */
export function xmlValue(xml: string, name: string): string | undefined {
  return xmlValues(xml, name)[0];
}

/** Raw inner XML of every `<name>…</name>` (for repeated groups like `<Contents>`). */
export function xmlBlocks(xml: string, name: string): string[] {
  const re = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`, 'g');
  return [...xml.matchAll(re)].map((m) => m[1] ?? '');
}

/** Escapes text for an XML element. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`,
  );
}

function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return (
      ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[entity] ?? ''
    );
  });
}
