import { RwsError } from '@rws/core';
import { formatConfigProblem } from '../config/config-problem.js';
import type { GatewayConfigProblem } from '../config/parse-gateway-config.js';
import { GATEWAY_CONFIG_CODES } from '../errors.js';

/**
 * Thrown by `createGateway()` when the configuration has problems: `problems` lists every one
 * (key path, line, hint) and the message has one line each. Nothing was started.
 */
export class GatewayConfigError extends RwsError {
  readonly problems: readonly GatewayConfigProblem[];

  constructor(problems: readonly GatewayConfigProblem[]) {
    super(
      GATEWAY_CONFIG_CODES.CONFIG_INVALID,
      `gateway configuration has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map(formatConfigProblem).join('\n')}`,
    );
    this.name = 'GatewayConfigError';
    this.problems = problems;
  }
}
