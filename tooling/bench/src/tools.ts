/** Makes sure wrk, h2load and nginx exist, installing the Debian packages when they do not. */
import { execFileSync, spawnSync } from 'node:child_process';

/** Command → Debian package providing it. */
const TOOLS: Readonly<Record<string, string>> = {
  wrk: 'wrk',
  h2load: 'nghttp2-client',
  nginx: 'nginx',
  taskset: 'util-linux',
};

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Installs missing tools with apt-get (one `apt-get update`, one install); needs root. */
export function ensureTools(): void {
  const missing = Object.keys(TOOLS).filter((c) => !has(c));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((c) => TOOLS[c]!))];
  if (process.getuid?.() !== 0) {
    throw new Error(`missing ${missing.join(', ')}: run apt-get install -y ${packages.join(' ')}`);
  }
  console.error(`installing ${packages.join(' ')} with apt-get…`);
  execFileSync('apt-get', ['update'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', ...packages], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** First line of `command args` output, for the results file; null when it fails. */
export function toolVersion(command: string, args: readonly string[]): string | null {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  return r.error === undefined && text !== '' ? text.split('\n')[0]! : null;
}
