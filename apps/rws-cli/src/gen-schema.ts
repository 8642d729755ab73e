/**
 * Writes schema/rws.config.schema.json from CONFIG_KEYS (`pnpm --filter @rws/cli gen:schema`).
 * A test fails when the committed file differs from what this would write.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderJsonSchema } from './config/json-schema.js';

const target = fileURLToPath(new URL('../schema/rws.config.schema.json', import.meta.url));
writeFileSync(target, renderJsonSchema());
process.stdout.write(`wrote ${target}\n`);
