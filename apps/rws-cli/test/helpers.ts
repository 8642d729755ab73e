import type { CliIo, ResolveConfigInput } from '../src/index.js';

/** An in-memory file system: absolute path → content; directories listed separately. */
export interface FakeFs {
  files: Record<string, string>;
  dirs: string[];
}

export const CWD = '/srv/site';

export function fsInput(
  fs: Partial<FakeFs> = {},
): Pick<ResolveConfigInput, 'readFile' | 'fileKind'> {
  const files = fs.files ?? {};
  const dirs = new Set([CWD, '/', ...(fs.dirs ?? [])]);
  return {
    readFile: (p) => {
      const text = files[p];
      if (text === undefined) throw Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' });
      return text;
    },
    fileKind: (p) => (files[p] !== undefined ? 'file' : dirs.has(p) ? 'directory' : null),
  };
}

/** A `CliIo` capturing output. */
export function captureIo(
  env: Record<string, string> = {},
  fs: Partial<FakeFs> = {},
): CliIo & { out: string; err: string; started: unknown[] } {
  const io = {
    out: '',
    err: '',
    started: [] as unknown[],
    env,
    cwd: CWD,
    ...fsInput(fs),
    stdout(text: string) {
      io.out += text;
    },
    stderr(text: string) {
      io.err += text;
    },
    async startServer(config: unknown) {
      io.started.push(config);
    },
  };
  return io;
}
