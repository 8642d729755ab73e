/**
 * A vitest setup file (vitest.config.ts `setupFiles`): traces UDP to the file `RWS_UDP_TRACE`
 * names (udp-trace.ts), and does nothing without it.
 */

import { traceUdp } from './udp-trace.js';

const file = process.env['RWS_UDP_TRACE'];
if (file !== undefined && file !== '') traceUdp(file);
