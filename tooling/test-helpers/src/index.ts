/** @module */

export type { RunningBind } from './bind.js';
export { HAS_BIND, startBind } from './bind.js';
export { withBuildLock } from './build-lock.js';
export { requireCapability } from './capability.js';
export type {
  TestCertificate,
  TestCertificates,
  TestCertificatesOptions,
  TestServerCertificateSpec,
} from './certificates.js';
export { createTestCertificates } from './certificates.js';
export type { ChromiumOverTls } from './chromium.js';
export {
  CHROMIUM_PATH,
  isChromiumAvailable,
  launchChromium,
  useChromiumOverTls,
  webSocketEchoPageScript,
  withHttpsPage,
} from './chromium.js';
export type { ErrorCase, ErrorClasses } from './error-cases.js';
export { errorResponseCases } from './error-cases.js';
export type { ErrorsDocRow } from './errors-doc.js';
export { ERRORS_DOC_PATH, errorsDocEntries, parseErrorsDoc, readErrorsDoc } from './errors-doc.js';
export {
  expectErrorCodesDeclared,
  expectErrorsDocInSync,
  readSourceText,
} from './errors-doc-sync.js';
export type { HttpResult } from './http-call.js';
export { httpCall } from './http-call.js';
export type { NginxOptions, RunningNginx } from './nginx.js';
export { findNginx, startNginx } from './nginx.js';
export type { Pebble, PebbleOptions } from './pebble.js';
export { HAS_PEBBLE, startPebble } from './pebble.js';
export { reservePort, reserveUdpPort } from './ports.js';
export { connectRedis } from './redis.js';
export { REQUEST_TARGET_CASES } from './target-cases.js';
