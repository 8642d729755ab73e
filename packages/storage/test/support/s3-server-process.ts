/**
 * The test S3 server in a child process, for tests that measure this process's memory: the
 * objects the server keeps (in memory) must not count against the client under test.
 * `spawnS3Server()` starts this file with tsx; the child prints `endpoint <url>` once it
 * listens and exits when its stdin closes (so it never outlives the test run).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startS3Server } from './s3-server.js';

/** A test S3 server running in a child process. */
export interface S3ServerProcess {
  readonly endpoint: string;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const SELF = fileURLToPath(import.meta.url);
/** The package root, where `tsx` (a dev dependency) resolves from. */
const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Starts the server for `bucket` and one key pair in a child process. */
export async function spawnS3Server(
  bucket: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
): Promise<S3ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SELF], {
    cwd: PACKAGE_ROOT,
    env: {
      ...process.env,
      S3_TEST_BUCKET: bucket,
      S3_TEST_ACCESS_KEY_ID: credentials.accessKeyId,
      S3_TEST_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  let endpoint: string | undefined;
  for await (const line of lines) {
    if (line.startsWith('endpoint ')) {
      endpoint = line.slice('endpoint '.length);
      break;
    }
  }
  if (endpoint === undefined) throw new Error('the S3 server process exited before listening');
  const close = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin?.end();
    await exited;
  };
  return { endpoint, close, [Symbol.asyncDispose]: close };
}

if (process.argv[1] === SELF) {
  const server = await startS3Server({
    buckets: [process.env['S3_TEST_BUCKET'] ?? 'test'],
    credentials: [
      {
        accessKeyId: process.env['S3_TEST_ACCESS_KEY_ID'] ?? '',
        secretAccessKey: process.env['S3_TEST_SECRET_ACCESS_KEY'] ?? '',
      },
    ],
  });
  console.log(`endpoint ${server.endpoint}`);
  process.stdin.on('close', () => {
    void server.close().then(() => process.exit(0));
  });
  process.stdin.resume();
}
