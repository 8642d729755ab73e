import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRwsError } from '@rws/core';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { QuicEndpoint } from '../src/quic/quic-endpoint.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { startLossyRelay } from './lossy-relay.js';
import { connectEcho, echo, echoPair, sha256 } from './quic-pair.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

interface QlogEvent {
  time: number;
  name: string;
  data: Record<string, unknown> & {
    header?: { packet_type: string; packet_number: number };
    frames?: Array<Record<string, unknown>>;
  };
}

interface QlogHeader {
  file_schema: string;
  serialization_format: string;
  trace: {
    common_fields: { group_id: string };
    vantage_point: unknown;
    event_schemas: string[];
  };
}

/** Parses a JSON-SEQ file (RFC 7464): every record starts with RS and ends with LF. */
function parseJsonSeq(text: string): unknown[] {
  expect(text.startsWith('\x1e')).toBe(true);
  expect(text.endsWith('\n')).toBe(true);
  return text
    .split('\x1e')
    .slice(1)
    .map((record) => {
      expect(record.endsWith('\n')).toBe(true);
      return JSON.parse(record);
    });
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rws-qlog-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('qlog (draft-ietf-quic-qlog-main-schema, JSON-SEQ; issue #20)', () => {
  it('writes one trace per connection for each side, with packets, losses, metrics and the close', async () => {
    const dir = tempDir();
    const { port, accepted } = await echoPair(creds, { qlogDir: dir });
    // Mutable so the loss can stop before the close: a dropped CONNECTION_CLOSE would leave the
    // server to end on its idle timeout (initiator 'local'), which is right but not this test.
    const faults = { drop: 0.05, duplicate: 0, reorder: 0 };
    const relay = await startLossyRelay(port, faults, 3);
    onTestFinished(() => relay.close());
    const connection = await connectEcho(creds, relay.port, { qlogDir: dir });
    const payload = randomBytes(256 * 1024);
    expect(sha256(await echo(connection, payload))).toBe(sha256(payload));
    const lost = connection.stats.packetsLost;
    faults.drop = 0;
    connection.close(0, 'done');
    await connection.closed;
    await accepted[0]!.closed;

    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(files.every((f) => /^[0-9a-f]{16}_(client|server)\.sqlog$/.test(f))).toBe(true);
    const clientFile = files.find((f) => f.endsWith('_client.sqlog'))!;
    const [header, ...events] = parseJsonSeq(readFileSync(join(dir, clientFile), 'utf8')) as [
      QlogHeader,
      ...QlogEvent[],
    ];
    expect(header.file_schema).toBe('urn:ietf:params:qlog:file:sequential');
    expect(header.serialization_format).toBe('application/qlog+json-seq');
    expect(header.trace.vantage_point).toEqual({ type: 'client' });
    expect(header.trace.event_schemas).toEqual(['urn:ietf:params:qlog:events:quic-13']);
    expect(header.trace.common_fields.group_id).toBe(clientFile.slice(0, 16));

    // Times never go backwards; every event is in the quic namespace.
    for (let i = 1; i < events.length; i++)
      expect(events[i]!.time).toBeGreaterThanOrEqual(events[i - 1]!.time);
    const names = new Set(events.map((e) => e.name));
    for (const name of [
      'quic:connection_started',
      'quic:parameters_set',
      'quic:packet_sent',
      'quic:packet_received',
      'quic:recovery_metrics_updated',
      'quic:congestion_state_updated',
      'quic:connection_closed',
    ])
      expect(names).toContain(name);
    const sent = events.filter((e) => e.name === 'quic:packet_sent');
    expect(sent[0]!.data.header).toEqual({ packet_type: 'initial', packet_number: 0 });
    expect(sent[0]!.data.frames!.some((f) => f['frame_type'] === 'crypto')).toBe(true);
    expect(sent.some((e) => e.data.header!.packet_type === '1RTT')).toBe(true);
    // Every STREAM byte the client sent is in some logged STREAM frame.
    let streamBytes = 0;
    for (const e of sent)
      for (const f of e.data.frames!)
        if (f['frame_type'] === 'stream' && f['stream_id'] === 0)
          streamBytes = Math.max(
            streamBytes,
            (f['offset'] as number) + (f['raw'] as { payload_length: number }).payload_length,
          );
    expect(streamBytes).toBe(payload.length);
    // The losses the connection counted are the ones in the trace.
    expect(lost).toBeGreaterThan(0);
    // (A lost PMTU probe is logged as such and is not a loss the congestion controller sees.)
    const losses = events.filter(
      (e) => e.name === 'quic:packet_lost' && e.data['is_mtu_probe_packet'] !== true,
    );
    expect(losses).toHaveLength(lost);
    const closed = events.at(-1)!;
    expect(closed.name).toBe('quic:connection_closed');
    expect(closed.data).toMatchObject({ initiator: 'local', trigger: 'application' });

    const serverFile = files.find((f) => f.endsWith('_server.sqlog'))!;
    const serverEvents = parseJsonSeq(readFileSync(join(dir, serverFile), 'utf8')).slice(
      1,
    ) as QlogEvent[];
    expect(serverEvents.at(-1)!.data).toMatchObject({ initiator: 'remote' });
    const acks = serverEvents
      .filter((e) => e.name === 'quic:packet_sent')
      .flatMap((e) => e.data.frames!.filter((f) => f['frame_type'] === 'ack'));
    expect(acks.length).toBeGreaterThan(0);
    expect(Array.isArray(acks[0]!['acked_ranges'])).toBe(true);
  }, 60_000);

  it('takes its directory from QLOGDIR when the option is not given', async () => {
    const dir = tempDir();
    const before = process.env['QLOGDIR'];
    process.env['QLOGDIR'] = dir;
    onTestFinished(() => {
      if (before === undefined) delete process.env['QLOGDIR'];
      else process.env['QLOGDIR'] = before;
    });
    const { client, port } = await echoPair(creds, { qlogDir: false });
    delete process.env['QLOGDIR'];
    const connection = await client.connect({
      host: '127.0.0.1',
      port,
      serverName: 'localhost',
      alpn: ['echo'],
      ca: [creds.ca],
    });
    connection.close();
    await connection.closed;
    // Only the client endpoint (bound while QLOGDIR was set) logs; the server said false.
    expect(readdirSync(dir).map((f) => f.slice(17))).toEqual(['client.sqlog']);
  }, 30_000);

  it('rejects a qlog directory that cannot be created, naming it', async () => {
    const dir = tempDir();
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, '');
    const err = await QuicEndpoint.bind({ qlogDir: join(file, 'x') }).catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_H3_INVALID_OPTIONS')).toBe(true);
    expect((err as Error).message).toContain(join(file, 'x'));
  });
});
