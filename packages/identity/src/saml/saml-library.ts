/**
 * The SAML peer libraries, typed by the few members `samlLogin()` uses (never imported for
 * types) and loaded on first use, so `@rws/identity` installs without them.
 */
import { RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';

/** A SAML profile as `@node-saml/node-saml` answers it: the verified assertion's content. */
export interface NodeSamlProfile {
  readonly issuer?: string | undefined;
  readonly nameID?: string | undefined;
  readonly nameIDFormat?: string | undefined;
  readonly nameQualifier?: string | undefined;
  readonly spNameQualifier?: string | undefined;
  readonly sessionIndex?: string | undefined;
  readonly ID?: string | undefined;
  readonly attributes?: Readonly<Record<string, unknown>> | undefined;
  getAssertion?(): Record<string, unknown>;
  getSamlResponseXml?(): string;
  readonly [key: string]: unknown;
}

/** What the `validate*Async` methods of `@node-saml/node-saml` resolve to. */
export interface NodeSamlResult {
  readonly profile: NodeSamlProfile | null;
  readonly loggedOut: boolean;
}

/** The members of `@node-saml/node-saml`'s `SAML` instance that `samlLogin()` calls. */
export interface NodeSamlInstance {
  getAuthorizeUrlAsync(
    relayState: string,
    host: string | undefined,
    options: Record<string, unknown>,
  ): Promise<string>;
  validatePostResponseAsync(container: Record<string, string>): Promise<NodeSamlResult>;
  validatePostRequestAsync(container: Record<string, string>): Promise<NodeSamlResult>;
  validateRedirectAsync(
    query: Record<string, string>,
    originalQuery: string,
  ): Promise<NodeSamlResult>;
  getLogoutUrlAsync(
    user: NodeSamlProfile,
    relayState: string,
    options: Record<string, unknown>,
  ): Promise<string>;
  getLogoutResponseUrlAsync(
    request: NodeSamlProfile,
    relayState: string,
    options: Record<string, unknown>,
    success: boolean,
  ): Promise<string>;
  generateServiceProviderMetadata(
    decryptionCert: string | null,
    signingCerts?: string | string[] | null,
  ): string;
}

/** An XML element as `@xmldom/xmldom` builds it (the members used here). */
export interface XmlElementLike {
  readonly localName: string | null;
  readonly namespaceURI: string | null;
  getAttribute(name: string): string | null;
}

/** The peer libraries `samlLogin()` needs; pass them as `lib` to skip the dynamic import. */
export interface SamlLibraries {
  /** `SAML` from `@node-saml/node-saml` (>= 5.1). */
  readonly SAML: new (
    config: Record<string, unknown>,
  ) => NodeSamlInstance;
  /** `DOMParser` from `@xmldom/xmldom`, the parser node-saml itself uses. */
  readonly DOMParser: new (
    options?: Record<string, unknown>,
  ) => {
    parseFromString(
      xml: string,
      mimeType: string,
    ): { readonly documentElement: XmlElementLike | null };
  };
}

async function importPeer(name: string): Promise<Record<string, unknown>> {
  try {
    return (await import(name)) as Record<string, unknown>;
  } catch (err) {
    throw new RwsError(
      ERROR_CODES.SAML_LIBRARY_MISSING,
      `samlLogin: the optional peer dependency ${name} is not installed (pnpm add @node-saml/node-saml @xmldom/xmldom)`,
      { status: 500, cause: err },
    );
  }
}

/** Loads `@node-saml/node-saml` and `@xmldom/xmldom` (CommonJS: named exports or `default`). */
export async function loadSamlLibraries(): Promise<SamlLibraries> {
  const [saml, xmldom] = await Promise.all([
    importPeer('@node-saml/node-saml'),
    importPeer('@xmldom/xmldom'),
  ]);
  const pick = (mod: Record<string, unknown>, name: string): unknown =>
    mod[name] ?? (mod['default'] as Record<string, unknown> | undefined)?.[name];
  return {
    SAML: pick(saml, 'SAML') as SamlLibraries['SAML'],
    DOMParser: pick(xmldom, 'DOMParser') as SamlLibraries['DOMParser'],
  };
}
