/**
 * The benchmark's SMTP sink as its own process (so the server and the clients under test run
 * on different CPUs): nodemailer's smtp-server on 127.0.0.1, plain text, no AUTH, advertising
 * PIPELINING and 8BITMIME, reading every message to the end and discarding it. Prints
 * `port <n>` on stdout once it listens; stops on SIGTERM or when stdin closes.
 */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SMTPServer } from 'smtp-server';

/** Starts the sink; resolves with its port and a close function. */
export async function startSink(): Promise<{ port: number; close(): Promise<void> }> {
  let messages = 0;
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    // No limit: a pooled client may keep its connections for the whole run.
    maxClients: 1000,
    onData(stream, _session, cb) {
      stream.on('data', () => undefined);
      stream.on('end', () => cb(null, `queued as ${++messages}`));
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sink = await startSink();
  console.log(`port ${sink.port}`);
  const stop = (): void => {
    void sink.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
}
