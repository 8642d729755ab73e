/**
 * The HTTP status a thrown value maps to: its own `status` (or `statusCode`, as http-errors
 * and fastify set it) when that is an integer from 400 to 599, else 500. Every layer that
 * turns an error into a response (transports, the App, the access log) uses this one rule, so
 * they always agree on what the client got.
 */
export function errorStatus(err: unknown): number {
  if (typeof err === 'object' && err !== null) {
    const status =
      (err as { status?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599) {
      return status;
    }
  }
  return 500;
}
