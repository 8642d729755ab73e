#!/usr/bin/env node
/**
 * The `rws` binary: reads argv, env and the working directory of this process and runs
 * `main`. Everything testable lives in main.ts.
 */
import { main } from './main.js';
import { startServer } from './start.js';

const code = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  // The live object: a SIGHUP reload reads the environment as it is then.
  env: process.env,
  cwd: process.cwd(),
  startServer,
});
// exitCode, not exit(): a running server keeps the process alive on its own.
if (code !== 0) process.exitCode = code;
