import {
  formatConfigProblem,
  type GatewayConfigErrorCode,
  type ConfigProblem as SharedConfigProblem,
} from '@rws/proxy';
import type { CliErrorCode } from '../errors.js';

export type { ConfigSource } from '@rws/proxy';

/**
 * One problem (or warning) found while resolving the configuration. The shape (and the
 * reporter) is @rws/proxy's, shared with the gateway, so gateway problems from
 * `[[route]]`/`[[upstream]]` appear in the same list with their own codes.
 */
export type ConfigProblem = SharedConfigProblem<CliErrorCode | GatewayConfigErrorCode>;

/** One line per problem: `rws.config.toml:4: cors.allow_al: unknown key (did you mean …?)`. */
export const formatProblem: (p: ConfigProblem) => string = formatConfigProblem;
