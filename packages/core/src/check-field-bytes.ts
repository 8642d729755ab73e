import { RwsError } from './rws-error.js';

// Every code unit above 0xFF (a surrogate half included): a char with no octet.
const ABOVE_OCTET = /[\u0100-\uffff]/;

/**
 * Throws `RWS_CORE_INVALID_HEADER` when a field's name or value has a char above 0xFF.
 *
 * Field strings are byte strings, one char per octet (see `Headers`), and the HPACK and QPACK
 * encoders write each char as one octet: a char above 0xFF would lose its high bits (U+010A
 * would become LF). `Headers` refuses such values when they are set; this check is for fields
 * that never pass through it (a `:path`, `:authority`, `:method` or `:protocol` taken from
 * client options, a header list given as an array). It names the field and the character,
 * not the value.
 */
export function checkFieldBytes(name: string, value: string): void {
  if (!ABOVE_OCTET.test(name) && !ABOVE_OCTET.test(value)) return;
  const isName = ABOVE_OCTET.test(name);
  const text = isName ? name : value;
  const point = text.codePointAt(text.search(ABOVE_OCTET))!.toString(16).toUpperCase();
  throw new RwsError(
    'RWS_CORE_INVALID_HEADER',
    `header ${isName ? 'name' : `${name} value`} has the character U+${point.padStart(4, '0')}, ` +
      'above 0xFF: field strings are byte strings (one char per octet); percent-encode the text ' +
      '(encodeHeaderUrl for a URL)',
    { status: 500 },
  );
}
