import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { CIPHER_SUITES } from '../src/quic/crypto/cipher-suite.js';
import { PacketKeys } from '../src/quic/crypto/packet-keys.js';
import { parseFrames } from '../src/quic/frame-parser.js';
import { parsePacketHeader } from '../src/quic/packet-header.js';
import { unprotectPacket } from '../src/quic/packet-protection.js';
import { QuicEndpoint } from '../src/quic/quic-endpoint.js';
import { QUIC_V1, versionProfile } from '../src/quic/version.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { startLossyRelay } from './lossy-relay.js';
import { echo } from './quic-pair.js';

const LINE =
  /^(CLIENT|SERVER)_(HANDSHAKE_TRAFFIC_SECRET|TRAFFIC_SECRET_0) ([0-9a-f]{64}) ([0-9a-f]+)$/;
const LABELS = [
  'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
  'CLIENT_TRAFFIC_SECRET_0',
  'SERVER_HANDSHAKE_TRAFFIC_SECRET',
  'SERVER_TRAFFIC_SECRET_0',
];

let creds: ServerCredentials;
let dir: string;
beforeAll(() => {
  creds = makeCredentials('ec');
  dir = mkdtempSync(join(tmpdir(), 'rws-keylog-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function readLog(path: string): string[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n');
}

/** An echo server with `serverLog`, reached through a relay that captures client datagrams. */
async function setup(serverLog: string | false, clientLog?: string | false) {
  const server = await QuicEndpoint.bind({
    tls: { cert: creds.cert, key: creds.key },
    alpn: ['echo'],
    keyLogFile: serverLog,
    onConnection: (connection) => {
      connection.onStream = (stream) => {
        void (async () => {
          for await (const chunk of stream) await stream.write(chunk);
          stream.end();
        })().catch(() => {});
      };
    },
  });
  const captured: Buffer[] = [];
  const relay = await startLossyRelay(
    server.address().port,
    { drop: 0, duplicate: 0, reorder: 0 },
    1,
    (datagram, fromServer) => {
      if (!fromServer) captured.push(Buffer.from(datagram));
    },
  );
  const client = await QuicEndpoint.bind(clientLog === undefined ? {} : { keyLogFile: clientLog });
  onTestFinished(async () => {
    await client.close();
    await relay.close();
    await server.close();
  });
  const connection = await client.connect({
    host: '127.0.0.1',
    port: relay.port,
    serverName: 'localhost',
    alpn: ['echo'],
    ca: [creds.ca],
  });
  return { connection, captured };
}

describe('SSLKEYLOGFILE (issue #20)', () => {
  it('logs both sides’ traffic secrets in NSS key log format, and they decrypt captured packets', async () => {
    const serverLog = join(dir, 'server.log');
    const clientLog = join(dir, 'client.log');
    const { connection, captured } = await setup(serverLog, clientLog);
    const payload = new TextEncoder().encode('decrypt me with the key log');
    expect(Buffer.from(await echo(connection, payload)).toString()).toBe(
      'decrypt me with the key log',
    );
    const clientLines = readLog(clientLog);
    const serverLines = readLog(serverLog);
    for (const line of [...clientLines, ...serverLines]) expect(line).toMatch(LINE);
    expect(clientLines.map((l) => l.split(' ')[0]).sort()).toEqual(LABELS);
    // Both ends log the same ClientHello.random and the same four secrets.
    expect([...serverLines].sort()).toEqual([...clientLines].sort());
    expect(new Set(clientLines.map((l) => l.split(' ')[1])).size).toBe(1);

    // The logged CLIENT_TRAFFIC_SECRET_0 opens the client's captured 1-RTT packets, as
    // Wireshark would with the file.
    const secretHex = clientLines
      .find((l) => l.startsWith('CLIENT_TRAFFIC_SECRET_0 '))!
      .split(' ')[2]!;
    const suite = CIPHER_SUITES.find((s) => s.name === connection.cipherSuite)!;
    const keys = new PacketKeys(suite, Buffer.from(secretHex, 'hex'), versionProfile(QUIC_V1)!);
    let opened = 0;
    let sawStream = false;
    for (const datagram of captured) {
      if ((datagram[0]! & 0x80) !== 0) continue; // long headers: Initial/Handshake keys
      const header = parsePacketHeader(datagram, 0, 8);
      if (header?.form !== 'short') continue;
      const packet = unprotectPacket(keys, datagram, 0, header.pnOffset, header.end, -1);
      if (packet === null) continue;
      opened++;
      for (const frame of parseFrames(packet.payload, '1rtt')) {
        if (frame.type === 'stream' && Buffer.from(frame.data).includes('decrypt me'))
          sawStream = true;
      }
    }
    expect(opened).toBeGreaterThan(0);
    expect(sawStream).toBe(true);
  }, 30_000);

  it('follows the SSLKEYLOGFILE environment variable, and keyLogFile: false turns it off', async () => {
    const fromEnv = join(dir, 'env.log');
    const saved = process.env['SSLKEYLOGFILE'];
    process.env['SSLKEYLOGFILE'] = fromEnv;
    try {
      const { connection } = await setup(false);
      await echo(connection, new Uint8Array([1, 2, 3]));
    } finally {
      if (saved === undefined) delete process.env['SSLKEYLOGFILE'];
      else process.env['SSLKEYLOGFILE'] = saved;
    }
    // Only the client endpoint (bound with the variable set, no option) logged its secrets.
    const lines = readLog(fromEnv);
    expect(lines.map((l) => l.split(' ')[0]).sort()).toEqual(LABELS);
    for (const line of lines) expect(line).toMatch(LINE);
  }, 30_000);
});
