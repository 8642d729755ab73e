/** @module */

// Each middleware lives at its own subpath (`@rws/middleware/static`, …) so an app loads only
// what it uses; the root export carries what they share.
export { ERROR_CODES, ERROR_DESCRIPTIONS } from './errors.js';
