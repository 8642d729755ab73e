/**
 * A throwaway postfix (Debian's package) for the tests: its own config, queue and data
 * directories under a temporary directory, one smtpd on 127.0.0.1 at a free high port, and
 * virtual mailboxes delivered as maildirs (owned by `nobody`) that the test reads back. Every
 * daemon runs unchrooted; postfix's own log goes to a file in the same directory.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { reservePort } from '@rws/test-helpers';

const run = promisify(execFile);
const POSTFIX = '/usr/sbin/postfix';
const NOBODY = 65_534;

/** Why postfix tests cannot run here, or undefined when they can. */
export function postfixUnavailable(): string | undefined {
  if (!existsSync(POSTFIX)) return 'postfix is not installed (apt-get install postfix)';
  if (process.getuid?.() !== 0) return 'postfix can only be started as root';
  if (!existsSync('/etc/postfix/master.cf')) return '/etc/postfix/master.cf is missing';
  return undefined;
}

export interface Postfix {
  port: number;
  dir: string;
  /** The maildir files delivered to `box` (new/), waiting up to `timeoutMs` for `count`. */
  mailbox(box: string, count?: number, timeoutMs?: number): Promise<Buffer[]>;
  /** postfix's log so far. */
  log(): Promise<string>;
  /** Waits until the log matches `pattern`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`postfix: timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Starts postfix; `extra` lines are appended to main.cf. `boxes` are the local parts @example.test. */
export async function startPostfix(boxes: readonly string[], extra = ''): Promise<Postfix> {
  const dir = await mkdtemp(join(tmpdir(), 'rws-postfix-'));
  await chmod(dir, 0o755);
  const conf = join(dir, 'conf');
  for (const d of ['conf', 'queue', 'data', 'mail']) await mkdir(join(dir, d));
  const { stdout: uid } = await run('id', ['-u', 'postfix']);
  await chown(join(dir, 'data'), Number(uid.trim()), 0);
  await chown(join(dir, 'mail'), NOBODY, NOBODY);
  const port = await reservePort();
  await writeFile(
    join(conf, 'main.cf'),
    `compatibility_level = 3.6
queue_directory = ${dir}/queue
data_directory = ${dir}/data
meta_directory = /etc/postfix
mail_owner = postfix
myhostname = mx.rws.test
mydomain = rws.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
virtual_mailbox_domains = example.test
virtual_mailbox_base = ${dir}/mail
virtual_mailbox_maps = texthash:${conf}/vmailbox
virtual_uid_maps = static:${NOBODY}
virtual_gid_maps = static:${NOBODY}
maillog_file = ${dir}/maillog
maillog_file_prefixes = ${dir}
smtputf8_enable = yes
${extra}
`,
  );
  await writeFile(join(conf, 'vmailbox'), boxes.map((b) => `${b}@example.test ${b}/\n`).join(''));
  // Debian's master.cf without its port-25 listener and without chroot, plus ours.
  const master = (await readFile('/etc/postfix/master.cf', 'utf8')).split('\n').flatMap((line) => {
    const f = line.split(/\s+/);
    if (!/^[a-z0-9]/.test(line) || f.length < 8) return [line];
    if (f[1] === 'inet') return [];
    f[4] = 'n';
    return [f.join(' ')];
  });
  master.push(`127.0.0.1:${port} inet n - n - - smtpd`, '');
  await writeFile(join(conf, 'master.cf'), master.join('\n'));
  await run(POSTFIX, ['-c', conf, 'start']).catch(async (err: Error) => {
    const log = await readFile(join(dir, 'maillog'), 'utf8').catch(() => '');
    throw new Error(`postfix did not start: ${err.message}\n${log}`);
  });
  const log = (): Promise<string> => readFile(join(dir, 'maillog'), 'utf8').catch(() => '');
  const instance: Postfix = {
    port,
    dir,
    log,
    async mailbox(box, count = 1, timeoutMs = 30_000) {
      const fresh = join(dir, 'mail', box, 'new');
      const names = await until(`${count} message(s) in ${box}`, timeoutMs, async () => {
        const found = await readdir(fresh).catch(() => [] as string[]);
        return found.length >= count ? found.sort() : undefined;
      });
      return Promise.all(names.map((n) => readFile(join(fresh, n))));
    },
    async waitForLog(pattern, timeoutMs = 30_000) {
      return until(`log ${pattern}`, timeoutMs, async () => {
        const text = await log();
        return pattern.test(text) ? text : undefined;
      });
    },
    async stop() {
      await run(POSTFIX, ['-c', conf, 'stop']).catch(() => undefined);
      await until('postfix to stop', 30_000, async () =>
        (await accepts(port)) ? undefined : true,
      ).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await until(`smtpd on port ${port}`, 30_000, async () =>
      (await accepts(port)) ? true : undefined,
    );
  } catch (err) {
    await instance.stop();
    throw new Error(`${(err as Error).message}\n${await log()}`);
  }
  return instance;
}
