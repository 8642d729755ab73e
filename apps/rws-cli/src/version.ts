import pkg from '../package.json' with { type: 'json' };

/** The version of @rws/cli. */
export const VERSION: string = pkg.version;
