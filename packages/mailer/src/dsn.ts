import { envelopeAddress, parseAddress } from './address.js';
import { ERROR_CODES, MailerError } from './errors.js';

/** A delivery event a recipient's DSN can report. @see RFC 3461 §4.1 */
export type DsnEvent = 'SUCCESS' | 'FAILURE' | 'DELAY';

/** `NEVER`, or the events to report (one or a list). */
export type DsnNotify = 'NEVER' | DsnEvent | readonly DsnEvent[];

/** Per-recipient DSN settings. */
export interface DsnRecipientOptions {
  /** When to send a DSN for this recipient (RCPT `NOTIFY=`). */
  notify?: DsnNotify | undefined;
  /** The original recipient (RCPT `ORCPT=rfc822;…`), e.g. before a forwarding rewrite. */
  orcpt?: string | undefined;
}

/**
 * Delivery Status Notification requests (RFC 3461), sent only to a server that advertises
 * `DSN`.
 */
export interface DsnOptions {
  /** Return the full message (`FULL`) or only its headers (`HDRS`) in a failure DSN. */
  ret?: 'FULL' | 'HDRS' | undefined;
  /** An envelope id echoed in every DSN (`ENVID=`): printable ASCII, at most 100 characters encoded. */
  envid?: string | undefined;
  /** `NOTIFY=` for every recipient without its own entry in `recipients`. */
  notify?: DsnNotify | undefined;
  /** Per envelope recipient (keyed by address): `notify` and `orcpt`. */
  recipients?: Readonly<Record<string, DsnRecipientOptions>> | undefined;
  /**
   * When the server does not advertise DSN: `fail` (default) refuses the message with
   * `RWS_MAILER_UNSUPPORTED_EXTENSION` before MAIL FROM; `ignore` sends it without DSN parameters.
   */
  ifUnsupported?: 'fail' | 'ignore' | undefined;
}

/** The validated DSN parameters of one transaction, ready for MAIL FROM and each RCPT TO. */
export interface DsnParameters {
  /** ` RET=… ENVID=…` (with the leading space) or `''`. */
  readonly mail: string;
  /** One entry per envelope recipient, in order: ` NOTIFY=… ORCPT=…` or `''`. */
  readonly rcpt: readonly string[];
  readonly ifUnsupported: 'fail' | 'ignore';
}

function invalid(message: string): MailerError {
  return new MailerError(ERROR_CODES.INVALID_MESSAGE, `dsn: ${message}`);
}

/**
 * xtext: printable ASCII except `+` and `=` as is, every other byte as `+XX`.
 * @see RFC 3461 §4
 */
function xtext(value: string): string {
  let out = '';
  for (const b of Buffer.from(value, 'utf8')) {
    out +=
      b >= 0x21 && b <= 0x7e && b !== 0x2b && b !== 0x3d
        ? String.fromCharCode(b)
        : `+${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * A non-ASCII original recipient: the `utf-8` address type, where `\`, `+`, `=` and
 * non-ASCII characters are `\x{HEX}`. @see RFC 6533 §3
 */
function utf8AddrXtext(value: string): string {
  let out = '';
  for (const ch of value) {
    const cp = ch.codePointAt(0) as number;
    out +=
      cp >= 0x21 && cp <= 0x7e && ch !== '+' && ch !== '=' && ch !== '\\'
        ? ch
        : `\\x{${cp.toString(16).toUpperCase()}}`;
  }
  return out;
}

const EVENTS = new Set(['SUCCESS', 'FAILURE', 'DELAY']);

function notifyValue(notify: DsnNotify, where: string): string {
  const list: readonly unknown[] = typeof notify === 'string' ? [notify] : notify;
  if (!Array.isArray(list) || list.length === 0)
    throw invalid(`${where}: notify must be NEVER or a list of SUCCESS, FAILURE, DELAY`);
  if (list.length === 1 && list[0] === 'NEVER') return 'NEVER';
  for (const e of list)
    if (typeof e !== 'string' || !EVENTS.has(e))
      throw invalid(
        `${where}: notify ${JSON.stringify(e)} is not SUCCESS, FAILURE or DELAY (NEVER stands alone)`,
      );
  return [...new Set(list as string[])].join(',');
}

function orcptValue(orcpt: string, where: string): string {
  const address = parseAddress(orcpt).address;
  const value = /^[\x00-\x7f]*$/.test(address)
    ? `rfc822;${xtext(address)}`
    : `utf-8;${utf8AddrXtext(address)}`;
  if (value.length > 500) throw invalid(`${where}: orcpt is longer than 500 characters encoded`);
  return value;
}

/**
 * Validates `dsn` against the envelope recipients and encodes the MAIL FROM and RCPT TO
 * parameters. Throws `RWS_MAILER_INVALID_MESSAGE` naming the bad field.
 * @see RFC 3461 §4
 */
export function dsnParameters(
  dsn: DsnOptions,
  recipients: readonly string[],
): DsnParameters | undefined {
  let mail = '';
  if (dsn.ret !== undefined) {
    if (dsn.ret !== 'FULL' && dsn.ret !== 'HDRS')
      throw invalid(`ret must be FULL or HDRS, got ${JSON.stringify(dsn.ret)}`);
    mail += ` RET=${dsn.ret}`;
  }
  if (dsn.envid !== undefined) {
    if (typeof dsn.envid !== 'string' || !/^[\x20-\x7e]+$/.test(dsn.envid))
      throw invalid('envid must be non-empty printable ASCII');
    const encoded = xtext(dsn.envid);
    if (encoded.length > 100) throw invalid('envid is longer than 100 characters encoded');
    mail += ` ENVID=${encoded}`;
  }
  const ifUnsupported = dsn.ifUnsupported ?? 'fail';
  if (ifUnsupported !== 'fail' && ifUnsupported !== 'ignore')
    throw invalid(`ifUnsupported must be fail or ignore, got ${JSON.stringify(ifUnsupported)}`);
  const byAddress = new Map<string, DsnRecipientOptions>();
  for (const [key, options] of Object.entries(dsn.recipients ?? {})) {
    const address = envelopeAddress(parseAddress(key).address);
    if (!recipients.includes(address))
      throw invalid(`recipients: ${JSON.stringify(key)} is not an envelope recipient`);
    byAddress.set(address, options);
  }
  const rcpt = recipients.map((to) => {
    const own = byAddress.get(to);
    const notify = own?.notify ?? dsn.notify;
    let params = notify === undefined ? '' : ` NOTIFY=${notifyValue(notify, to)}`;
    if (own?.orcpt !== undefined) params += ` ORCPT=${orcptValue(own.orcpt, to)}`;
    return params;
  });
  if (mail === '' && rcpt.every((p) => p === '')) return undefined;
  return { mail, rcpt, ifUnsupported };
}
