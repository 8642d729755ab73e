/**
 * A minimal DER encoder (ITU-T X.690 §10): just the types a PKCS#10 request and a self-signed
 * X.509 certificate need. Values are built bottom-up as byte arrays; nothing is parsed here.
 */

/** Tag, length, value: the length in short form below 128, else long form (X.690 §8.1.3). */
function tlv(tag: number, content: Uint8Array): Buffer {
  const n = content.length;
  let head: number[];
  if (n < 0x80) head = [tag, n];
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    head = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from(head), content]);
}

export function sequence(...items: Uint8Array[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

export function set(...items: Uint8Array[]): Buffer {
  return tlv(0x31, Buffer.concat(items));
}

/** A non-negative INTEGER from big-endian bytes (a leading 0 keeps it positive, §8.3). */
export function integer(bytes: Uint8Array | number): Buffer {
  let b = typeof bytes === 'number' ? Buffer.from([bytes]) : Buffer.from(bytes);
  let start = 0;
  while (start < b.length - 1 && b[start] === 0 && ((b[start + 1] ?? 0) & 0x80) === 0) start++;
  b = b.subarray(start);
  if (((b[0] ?? 0) & 0x80) !== 0) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

/** OBJECT IDENTIFIER from dotted form (§8.19): base-128 arcs, the first two combined. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  const first = (arcs[0] ?? 0) * 40 + (arcs[1] ?? 0);
  for (const arc of [first, ...arcs.slice(2)]) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) {
      chunk.unshift((v & 0x7f) | 0x80);
    }
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

export function octetString(bytes: Uint8Array): Buffer {
  return tlv(0x04, bytes);
}

/** BIT STRING of whole bytes (0 unused bits). */
export function bitString(bytes: Uint8Array): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), bytes]));
}

function utf8String(text: string): Buffer {
  return tlv(0x0c, Buffer.from(text, 'utf8'));
}

const TRUE: Buffer = Buffer.from([0x01, 0x01, 0xff]);

/** `[n]` EXPLICIT: a constructed context-specific wrapper. */
export function explicit(n: number, content: Uint8Array): Buffer {
  return tlv(0xa0 | n, content);
}

/** UTCTime `YYMMDDHHMMSSZ` (RFC 5280 §4.1.2.5.1, years 1950–2049). */
export function utcTime(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-01-02T03:04:05.000Z
  const text = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return tlv(0x17, Buffer.from(text, 'ascii'));
}

/** A Name with one CommonName, or the empty Name. */
export function commonName(cn: string | null): Buffer {
  if (cn === null) return sequence();
  return sequence(set(sequence(oid('2.5.4.3'), utf8String(cn))));
}

/** The subjectAltName extension value: dNSName entries (`[2] IMPLICIT IA5String`). */
export function dnsNames(names: readonly string[]): Buffer {
  return sequence(...names.map((n) => tlv(0x82, Buffer.from(n, 'ascii'))));
}

/** One Extension (RFC 5280 §4.1): id, optional critical flag, DER value in an OCTET STRING. */
export function extension(id: string, value: Uint8Array, isCritical = false): Buffer {
  return isCritical
    ? sequence(oid(id), TRUE, octetString(value))
    : sequence(oid(id), octetString(value));
}

export const OID_SUBJECT_ALT_NAME = '2.5.29.17';
/** ecdsa-with-SHA256 (RFC 5758 §3.2): the AlgorithmIdentifier has no parameters. */
export const ECDSA_SHA256: Buffer = sequence(oid('1.2.840.10045.4.3.2'));
/** sha256WithRSAEncryption (RFC 4055): parameters NULL. */
export const RSA_SHA256: Buffer = sequence(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));

/** PEM armour of DER bytes, 64 characters a line (RFC 7468). */
export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
