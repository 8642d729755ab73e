/**
 * bcrypt (Provos and Mazières, "A Future-Adaptable Password Scheme", 1999) on plain typed
 * arrays: EksBlowfishSetup, then "OrpheanBeholderScryDoubt" encrypted 64 times. Only what
 * htpasswd verification needs: `$2a$`, `$2b$` and `$2y$` hashes (the three agree for
 * passwords under 255 bytes; longer ones are taken as `$2b$` does), no hashing of new
 * passwords (that is `hashPassword()`'s job, with scrypt).
 */

/** bcrypt's own base-64 alphabet (not RFC 4648's order). */
const ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Blowfish's 18 P-words and 4×256 S-box words: the hexadecimal fraction digits of π. */
const INIT_WORDS = 18 + 4 * 256;
let initial: Uint32Array | undefined;

/**
 * Computes π's first 8 × 1042 fraction hex digits once, with Machin's formula in BigInt
 * fixed point (about 50 ms), instead of carrying a 4 KiB constant table in the source.
 */
function blowfishInit(): Uint32Array {
  if (initial !== undefined) return initial;
  const guard = 64n;
  const bits = BigInt(INIT_WORDS * 32) + guard;
  const one = 1n << bits;
  const arctanInverse = (x: bigint): bigint => {
    const x2 = x * x;
    let power = one / x;
    let sum = power;
    let isNegative = true;
    for (let n = 3n; ; n += 2n) {
      power /= x2;
      const term = power / n;
      if (term === 0n) return sum;
      sum += isNegative ? -term : term;
      isNegative = !isNegative;
    }
  };
  const pi = 16n * arctanInverse(5n) - 4n * arctanInverse(239n);
  const hex = ((pi - (3n << bits)) >> guard).toString(16).padStart(INIT_WORDS * 8, '0');
  const words = new Uint32Array(INIT_WORDS);
  for (let i = 0; i < INIT_WORDS; i++) words[i] = Number.parseInt(hex.slice(i * 8, i * 8 + 8), 16);
  initial = words;
  return words;
}

/** Blowfish state: P (18 words) then S0..S3 (256 words each) in one array. */
class Blowfish {
  readonly s = new Uint32Array(blowfishInit());
  readonly block = new Uint32Array(2);

  /** Encrypts `block` in place (16 Feistel rounds). */
  encrypt(): void {
    const s = this.s;
    let l = this.block[0]!;
    let r = this.block[1]!;
    l ^= s[0]!;
    for (let i = 1; i < 17; i += 2) {
      r ^=
        ((((s[18 + (l >>> 24)]! + s[274 + ((l >>> 16) & 255)]!) | 0) ^
          s[530 + ((l >>> 8) & 255)]!) +
          s[786 + (l & 255)]!) ^
        s[i]!;
      l ^=
        ((((s[18 + (r >>> 24)]! + s[274 + ((r >>> 16) & 255)]!) | 0) ^
          s[530 + ((r >>> 8) & 255)]!) +
          s[786 + (r & 255)]!) ^
        s[i + 1]!;
    }
    this.block[0] = r ^ s[17]!;
    this.block[1] = l;
  }

  /**
   * ExpandKey(state, salt, key): the key XORed into P cyclically, then every P and S word
   * replaced by successive encryptions, each first mixed with the next 8 salt bytes (salt
   * `null` is the all-zero salt of plain Blowfish keying).
   */
  expand(key: Uint32Array, salt: Uint32Array | null): void {
    const s = this.s;
    for (let i = 0; i < 18; i++) s[i] = s[i]! ^ key[i % key.length]!;
    const block = this.block;
    block[0] = 0;
    block[1] = 0;
    for (let i = 0, j = 0; i < INIT_WORDS; i += 2, j = (j + 2) & 3) {
      if (salt !== null) {
        block[0] = block[0]! ^ salt[j]!;
        block[1] = block[1]! ^ salt[j + 1]!;
      }
      this.encrypt();
      s[i] = block[0]!;
      s[i + 1] = block[1]!;
    }
  }
}

/** `bytes` read as a cyclic stream of big-endian words, 18 of them (72 bytes). */
function keyWords(bytes: Uint8Array): Uint32Array {
  const words = new Uint32Array(18);
  for (let w = 0, k = 0; w < 18; w++) {
    let v = 0;
    for (let b = 0; b < 4; b++, k = (k + 1) % bytes.length) v = (v << 8) | bytes[k]!;
    words[w] = v;
  }
  return words;
}

function decode64(text: string, byteCount: number): Uint8Array | null {
  const out = new Uint8Array(byteCount);
  let bits = 0;
  let acc = 0;
  let n = 0;
  for (let i = 0; i < text.length && n < byteCount; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >>> bits) & 255;
    }
  }
  return n === byteCount ? out : null;
}

function encode64(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = ((acc << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += ALPHABET[(acc >>> bits) & 63];
    }
  }
  if (bits > 0) out += ALPHABET[(acc << (6 - bits)) & 63];
  return out;
}

/** A parsed `$2a$`/`$2b$`/`$2y$` hash. */
export interface BcryptHash {
  /** `$2b$10$` and the 22 salt characters, exactly as stored. */
  readonly head: string;
  readonly cost: number;
  readonly salt: Uint8Array;
}

/** Parses `$2b$10$<22 salt chars><31 hash chars>`; null when malformed or another variant. */
export function parseBcrypt(hash: string): BcryptHash | null {
  if (hash.length !== 60 || hash[0] !== '$' || hash[1] !== '2' || hash[3] !== '$') return null;
  // $2x$ marks crypt_blowfish's sign-extension bug: refused, not silently verified wrongly.
  if (hash[2] !== 'a' && hash[2] !== 'b' && hash[2] !== 'y') return null;
  if (hash[6] !== '$' || !/^[0-9]{2}$/.test(hash.slice(4, 6))) return null;
  const cost = Number(hash.slice(4, 6));
  const salt = decode64(hash.slice(7, 29), 16);
  if (cost < 4 || cost > 31 || salt === null || decode64(hash.slice(29), 23) === null) return null;
  return { head: hash.slice(0, 29), cost, salt };
}

const MAGIC = new TextEncoder().encode('OrpheanBeholderScryDoubt');
/** Expensive rounds done between two yields to the event loop. */
const ROUNDS_PER_SLICE = 16;

/**
 * The full bcrypt string of `password` under `hash`'s prefix, cost and salt (the salt text
 * is kept as stored, so a non-canonical last salt character still compares equal). The 2^cost
 * rounds run in slices with a yield to the event loop between them, so a slow hash never
 * stalls other requests on the same thread.
 */
export async function bcrypt(password: string, hash: BcryptHash): Promise<string> {
  // The key is the password's bytes plus a NUL, cut at 72 bytes.
  const utf8 = Buffer.from(password, 'utf8');
  const keyBytes = new Uint8Array(Math.min(utf8.length + 1, 72));
  keyBytes.set(utf8.subarray(0, keyBytes.length));
  const key = keyWords(keyBytes);
  const salt = keyWords(hash.salt).subarray(0, 4);
  const bf = new Blowfish();
  bf.expand(key, salt);
  const rounds = 2 ** hash.cost;
  for (let done = 0; done < rounds; ) {
    const end = Math.min(rounds, done + ROUNDS_PER_SLICE);
    for (; done < end; done++) {
      bf.expand(key, null);
      bf.expand(salt, null);
    }
    if (done < rounds) await new Promise((resolve) => setImmediate(resolve));
  }
  const text = keyWords(MAGIC).subarray(0, 6);
  for (let b = 0; b < 6; b += 2) {
    bf.block[0] = text[b]!;
    bf.block[1] = text[b + 1]!;
    for (let i = 0; i < 64; i++) bf.encrypt();
    text[b] = bf.block[0]!;
    text[b + 1] = bf.block[1]!;
  }
  const out = new Uint8Array(24);
  for (let w = 0; w < 6; w++) {
    out[w * 4] = text[w]! >>> 24;
    out[w * 4 + 1] = text[w]! >>> 16;
    out[w * 4 + 2] = text[w]! >>> 8;
    out[w * 4 + 3] = text[w]!;
  }
  // bcrypt publishes 23 of the 24 bytes (184 bits fit its 31 characters).
  return hash.head + encode64(out.subarray(0, 23));
}
