/**
 * A small SMTP server that speaks CHUNKING (RFC 3030), for the BDAT tests: smtp-server has no
 * BDAT. It reads each `BDAT <n> [LAST]` chunk by byte count, records the commands and chunks,
 * and can hold its BDAT replies until the LAST chunk (which only a pipelining client survives),
 * refuse the n-th chunk, or stop reading for a while after a refusal.
 */
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { onTestFinished } from 'vitest';

export interface BdatPeerOptions {
  /** EHLO keywords; default PIPELINING, CHUNKING, BINARYMIME, 8BITMIME. */
  extensions?: string[];
  /** Reply to BDAT chunks only after the LAST one arrived. */
  holdReplies?: boolean;
  /** Refuse this chunk (1-based) with 552. */
  refuseChunk?: number;
  /** After refusing, stop reading for this long. */
  pauseAfterRefusalMs?: number;
}

export interface BdatPeer {
  port: number;
  /** Every command line (BDAT data excluded). */
  commands: string[];
  /** Each chunk as it arrived. */
  chunks: Array<{ size: number; last: boolean }>;
  /** Whole messages: MAIL FROM line and the bytes of all chunks. */
  messages: Array<{ mail: string; rcpt: string[]; raw: Buffer }>;
}

export async function startBdatPeer(options: BdatPeerOptions = {}): Promise<BdatPeer> {
  const peer: BdatPeer = { port: 0, commands: [], chunks: [], messages: [] };
  const extensions = options.extensions ?? ['PIPELINING', 'CHUNKING', 'BINARYMIME', '8BITMIME'];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.write('220 bdat.test ESMTP\r\n');
    let buf = Buffer.alloc(0);
    let need = 0; // bytes of chunk data still to read
    let isLast = false;
    let mail = '';
    let rcpt: string[] = [];
    let parts: Buffer[] = [];
    let held: string[] = [];
    let failed = false;
    let chunkNo = 0;
    const reply = (line: string): void => {
      socket.write(`${line}\r\n`);
    };
    const endChunk = (): void => {
      chunkNo++;
      let answer = `250 2.0.0 chunk ${chunkNo} ok`;
      if (options.refuseChunk === chunkNo) {
        failed = true;
        answer = '552 5.3.4 chunk refused';
        if (options.pauseAfterRefusalMs) {
          socket.pause();
          setTimeout(() => socket.resume(), options.pauseAfterRefusalMs);
        }
      } else if (failed) answer = '503 5.5.1 transaction failed';
      if (isLast) {
        if (!failed) {
          peer.messages.push({ mail, rcpt, raw: Buffer.concat(parts) });
          answer = `250 2.0.0 queued as ${peer.messages.length}`;
        }
        parts = [];
      }
      if (options.holdReplies && !failed) {
        held.push(answer);
        if (isLast) {
          for (const h of held) reply(h);
          held = [];
        }
      } else reply(answer);
    };
    const onCommand = (line: string): void => {
      peer.commands.push(line);
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === 'EHLO')
        reply(['250-bdat.test', ...extensions.map((e) => `250-${e}`), '250 HELP'].join('\r\n'));
      else if (verb === 'MAIL') {
        mail = line;
        rcpt = [];
        failed = false;
        reply('250 2.1.0 ok');
      } else if (verb === 'RCPT') {
        rcpt.push(line);
        reply('250 2.1.5 ok');
      } else if (verb === 'BDAT') {
        const m = /^BDAT (\d+)( LAST)?$/i.exec(line);
        if (!m) {
          reply('501 5.5.4 syntax: BDAT <size> [LAST]');
          return;
        }
        need = Number(m[1]);
        isLast = m[2] !== undefined;
        peer.chunks.push({ size: need, last: isLast });
        if (need === 0) endChunk();
      } else if (verb === 'RSET') {
        parts = [];
        failed = false;
        reply('250 2.0.0 ok');
      } else if (verb === 'QUIT') {
        reply('221 2.0.0 bye');
        socket.end();
      } else reply('502 5.5.2 not implemented');
    };
    socket.on('data', (data: Buffer) => {
      buf = Buffer.concat([buf, data]);
      for (;;) {
        if (need > 0) {
          const take = Math.min(need, buf.length);
          if (take === 0) return;
          parts.push(buf.subarray(0, take));
          buf = buf.subarray(take);
          need -= take;
          if (need === 0) endChunk();
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl === -1) return;
        const line = buf.subarray(0, nl).toString('utf8');
        buf = buf.subarray(nl + 2);
        onCommand(line);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  peer.port = (server.address() as AddressInfo).port;
  onTestFinished(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return peer;
}
