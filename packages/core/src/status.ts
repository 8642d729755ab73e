/**
 * Reason phrases of every registered HTTP status code (IANA "HTTP Status Code Registry", RFC 9110
 * §15, plus RFC 6585, RFC 4918/5842 WebDAV, RFC 8297, RFC 8470 and RFC 7725).
 * Integer keys keep lookups on V8's fast element path.
 */
export const STATUS_CODES: Readonly<Record<number, string>> = Object.freeze({
  100: 'Continue',
  101: 'Switching Protocols',
  102: 'Processing',
  103: 'Early Hints',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  207: 'Multi-Status',
  208: 'Already Reported',
  226: 'IM Used',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  305: 'Use Proxy',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  // RFC 9110 §15.5.19 reserves 418 as "(Unused)"; the RFC 2324 phrase is what clients expect.
  418: "I'm a Teapot",
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  423: 'Locked',
  424: 'Failed Dependency',
  425: 'Too Early',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
  506: 'Variant Also Negotiates',
  507: 'Insufficient Storage',
  508: 'Loop Detected',
  510: 'Not Extended',
  511: 'Network Authentication Required',
});

/**
 * The reason phrase of `status`, or `''` for an unregistered code (an empty reason-phrase is
 * valid HTTP/1.1, RFC 9112 §4).
 */
export function statusText(status: number): string {
  return STATUS_CODES[status] ?? '';
}

/** True for statuses whose responses never carry content (RFC 9110 §6.4.1, §15.3.5, §15.4.5). */
export function isNullBodyStatus(status: number): boolean {
  return status < 200 || status === 204 || status === 205 || status === 304;
}
