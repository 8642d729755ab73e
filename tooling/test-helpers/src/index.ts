/** @module */

export type { ErrorsDocRow } from './errors-doc.js';
export { ERRORS_DOC_PATH, errorsDocEntries, parseErrorsDoc, readErrorsDoc } from './errors-doc.js';
