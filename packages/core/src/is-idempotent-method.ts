/**
 * True for the idempotent request methods (RFC 9110 §9.2.2): a client or proxy may send such
 * a request again after a connection failure. A switch, not a Set: asked for every request by
 * a proxy's retry logic, a string compare costs less than a hash lookup.
 *
 * @see RFC 9110 §9.2.2
 */
export function isIdempotentMethod(method: string): boolean {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'TRACE':
    case 'PUT':
    case 'DELETE':
      return true;
    default:
      return false;
  }
}
