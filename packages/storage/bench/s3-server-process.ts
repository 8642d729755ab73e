/**
 * The test S3 server as its own process for `pnpm bench storage` (so the server and the
 * clients under test run on different CPUs): prints `endpoint <url>` on stdout once it
 * listens, and stops on SIGTERM or when stdin closes.
 */
import { fileURLToPath } from 'node:url';
import { startS3Server } from '../test/support/s3-server.js';

/** The bucket and key pair the benchmark uses. */
export const BENCH_BUCKET = 'bench';
export const BENCH_CREDENTIALS: { accessKeyId: string; secretAccessKey: string } = {
  accessKeyId: 'AKIDBENCH',
  secretAccessKey: 'bench-secret-key',
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startS3Server({ buckets: [BENCH_BUCKET], credentials: [BENCH_CREDENTIALS] });
  console.log(`endpoint ${server.endpoint}`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
}
