import { expect, it } from 'vitest';

it('exports exactly these names', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "Body",
      "DEFAULT_BODY_LIMIT",
      "DEFAULT_MIME_TYPE",
      "ERROR_CODES",
      "ERROR_DESCRIPTIONS",
      "Headers",
      "HttpError",
      "IN_PROCESS_CONNECTION",
      "RwsError",
      "STATUS_CODES",
      "compose",
      "createRequest",
      "empty",
      "errorResponse",
      "file",
      "fromWebRequest",
      "fromWebResponse",
      "html",
      "isCompressible",
      "isNullBodyStatus",
      "isRwsError",
      "json",
      "lookupExtension",
      "mimeType",
      "parseCookies",
      "parseSetCookie",
      "redirect",
      "serializeCookie",
      "serializeSseEvent",
      "sse",
      "statusText",
      "stream",
      "text",
      "toFetchHandler",
      "toWebRequest",
      "toWebResponse",
    ]
  `);
});
