/** The IdP `samlLogin()` trusts: from its metadata. */
export interface SamlIdentityProvider {
  /** The IdP's entity ID: the `Issuer` every accepted message must carry. */
  entityId: string;
  /** Its SingleSignOnService URL for the HTTP-Redirect binding. */
  ssoUrl: string;
  /** Its SingleLogoutService URL (HTTP-Redirect); without it logout is local only. */
  sloUrl?: string | undefined;
  /**
   * The IdP's signing certificate(s), PEM or bare base64; several during a rollover. A
   * message signed by any other key is refused.
   */
  certs: string | readonly string[];
}

/** A private key (PEM) and its certificate (PEM), published in the SP metadata. */
export interface SamlKeyPair {
  privateKey: string;
  cert: string;
}

/** The paths `samlLogin()` answers itself. */
export interface SamlRoutes {
  /** The SP metadata (XML). Default `/saml/metadata`. */
  metadata?: string | undefined;
  /** Starts a login; `?returnTo=/path` says where to go after it. Default `/saml/login`. */
  login?: string | undefined;
  /** The AssertionConsumerService (HTTP-POST binding). Default `/saml/acs`. */
  acs?: string | undefined;
  /** The SingleLogoutService: the IdP's LogoutRequests and LogoutResponses. Default `/saml/slo`. */
  slo?: string | undefined;
  /**
   * `POST` ends the local session and, when the IdP has an SLO URL, the IdP's; `GET` shows a
   * page whose button POSTs. Default `/saml/logout`.
   */
  logout?: string | undefined;
}

/** Attribute values of the assertion, by attribute `Name`: one string, or a list of them. */
export type SamlAttributes = Readonly<Record<string, string | readonly string[]>>;

/** The logged-in user as handlers see it (`getSamlUser(req)`). */
export interface SamlUser {
  /** The NameID: the IdP's name of the user. */
  readonly nameId: string;
  readonly nameIdFormat: string | undefined;
  /** The IdP's session index, sent back in a LogoutRequest. */
  readonly sessionIndex: string | undefined;
  /** The IdP entity ID that vouched for the user. */
  readonly issuer: string;
  readonly attributes: SamlAttributes;
  /** When the login happened (ms since the epoch). */
  readonly loggedInAt: number;
}

/** An IdP-initiated LogoutRequest, as `onLogoutRequest` receives it (after verification). */
export interface SamlLogoutRequest {
  readonly id: string;
  readonly nameId: string;
  readonly sessionIndex: string | undefined;
}
