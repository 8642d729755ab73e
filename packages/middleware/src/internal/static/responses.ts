import { Headers, type Response, statusText } from '@rws/core';

/** A short plain-text response (errors, 405, …), never sniffed. */
function textResponse(status: number, message: string, extra?: Record<string, string>): Response {
  const headers = new Headers({
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(message)),
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  return { status, headers, body: message };
}

/** A plain-text response whose body is the status reason. */
export function statusResponse(status: number, extra?: Record<string, string>): Response {
  return textResponse(status, `${statusText(status) || 'Error'}\n`, extra);
}
