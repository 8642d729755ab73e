import { createHash } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function to64(value: number, count: number): string {
  let out = '';
  let v = value;
  for (let i = 0; i < count; i++) {
    out += ITOA64[v & 0x3f];
    v >>>= 6;
  }
  return out;
}

function md5(...parts: (Buffer | string)[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * Apache's `$apr1$` MD5-crypt (the default of `htpasswd -m`), as APR's `apr_md5_encode`
 * computes it: `$apr1$<salt>$<22 characters>`. Weak by today's standards, but it is what
 * existing htpasswd files hold.
 */
export function apr1(password: string, salt: string): string {
  const magic = '$apr1$';
  const pw = Buffer.from(password, 'utf8');
  const s = salt.slice(0, 8);
  const alt = md5(pw, s, pw);
  const ctx = createHash('md5');
  ctx.update(pw);
  ctx.update(magic);
  ctx.update(s);
  for (let left = pw.length; left > 0; left -= 16) ctx.update(alt.subarray(0, Math.min(left, 16)));
  for (let i = pw.length; i > 0; i >>>= 1) {
    ctx.update((i & 1) === 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  }
  let final: Buffer = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const parts: (Buffer | string)[] = [(i & 1) === 1 ? pw : final];
    if (i % 3 !== 0) parts.push(s);
    if (i % 7 !== 0) parts.push(pw);
    parts.push((i & 1) === 1 ? final : pw);
    final = md5(...parts);
  }
  const f = final;
  const hash =
    to64((f[0]! << 16) | (f[6]! << 8) | f[12]!, 4) +
    to64((f[1]! << 16) | (f[7]! << 8) | f[13]!, 4) +
    to64((f[2]! << 16) | (f[8]! << 8) | f[14]!, 4) +
    to64((f[3]! << 16) | (f[9]! << 8) | f[15]!, 4) +
    to64((f[4]! << 16) | (f[10]! << 8) | f[5]!, 4) +
    to64(f[11]!, 2);
  return `${magic}${s}$${hash}`;
}
