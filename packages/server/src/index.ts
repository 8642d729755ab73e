/** @module */

export type {
  AcmeAuthorization,
  AcmeChallenge,
  AcmeClientOptions,
  AcmeDirectory,
  AcmeOrder,
} from './acme-client.js';
export {
  AcmeClient,
  LETS_ENCRYPT_DIRECTORY,
  LETS_ENCRYPT_STAGING_DIRECTORY,
} from './acme-client.js';
export type { AcmeErrorOptions, AcmeProblem } from './acme-error.js';
export { AcmeError } from './acme-error.js';
export type {
  AcmeCertificateInfo,
  AcmeHost,
  AcmeOptions,
  CertificateKeyType,
  ChallengeType,
  DnsProvider,
} from './acme-manager.js';
export { AcmeManager } from './acme-manager.js';
export type { ConnectionHandler, RawConnectionHandler } from './alpn-dispatch.js';
export { AlpnDispatch } from './alpn-dispatch.js';
export type { CertificateStore, ReleaseLock, StoredCertificate } from './certificate-store.js';
export type { Rfc2136ProviderOptions, TsigAlgorithm } from './dns-providers/rfc2136.js';
export { createRfc2136Provider } from './dns-providers/rfc2136.js';
export type { ServerErrorCode } from './errors.js';
export { ERROR_CODES, ERROR_DESCRIPTIONS } from './errors.js';
export { serve } from './serve.js';
export type { DirectoryStoreOptions } from './stores/directory.js';
export { createDirectoryStore } from './stores/directory.js';
export type { ObjectStorageLike, ObjectStorageStoreOptions } from './stores/object-storage.js';
export { createObjectStorageStore } from './stores/object-storage.js';
export type {
  AdminOptions,
  HealthOptions,
  OcspStaplingOptions,
  ReloadOptions,
  RunningServer,
  Servable,
  ServeMetricsOptions,
  ServeOptions,
  ServerCloseOptions,
  ServerLimits,
  ServerUrl,
  SniCertificate,
  VirtualHost,
} from './types.js';
