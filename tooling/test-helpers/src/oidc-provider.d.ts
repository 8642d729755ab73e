// oidc-provider ships no types; the tests use its constructor and `callback()` only.
declare module 'oidc-provider' {
  export default class Provider {
    constructor(issuer: string, configuration: unknown);
    callback(): (req: unknown, res: unknown) => void;
  }
}
