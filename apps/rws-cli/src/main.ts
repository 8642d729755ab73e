/**
 * The `rws` command without the process: `main(argv, io)` returns the exit code, so tests run
 * it in-process with captured output.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative } from 'node:path';
import { isRwsError } from '@rws/core';
import type { SessionStore } from '@rws/middleware/session';
import { createGateway, GatewayConfigError } from '@rws/proxy';
import { renderHelp } from './config/help.js';
import { type ConfigProblem, formatProblem } from './config/problem.js';
import { type ResolveConfigResult, resolveConfigAsync } from './config/resolve-config.js';
import type { ServerConfig } from './config/server-config.js';
import { runDbCommand } from './db-command.js';
import { GatewaySessionStoreError, openGatewaySessionStore } from './gateway-session-store.js';
import { hasSiteAuth, siteAuth } from './internal/site-auth.js';
import { runJobsCommand } from './jobs-command.js';
import { isGatewayMode, type StartContext } from './start.js';
import { VERSION } from './version.js';

export { VERSION };

/** What `main` needs from the outside world. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  readFile?: ((path: string) => string) | undefined;
  fileKind?: ((path: string) => 'file' | 'directory' | null) | undefined;
  /** Colour `pretty` access-log lines (default: stdout is a TTY and NO_COLOR is unset). */
  isTTY?: boolean | undefined;
  /**
   * Starts the server; resolves once it listens. `context.resolve()` re-resolves the
   * configuration from the same argv, env and working directory (SIGHUP reload).
   */
  startServer(config: ServerConfig, context: StartContext): Promise<unknown>;
}

function listProblems(problems: readonly ConfigProblem[]): string {
  const n = problems.length;
  return `rws: configuration has ${n} problem${n === 1 ? '' : 's'}:\n${problems
    .map((p) => `  ${formatProblem(p)}\n`)
    .join('')}`;
}

function summary(config: ServerConfig, warnings: number, gateway: string | null): string {
  const scheme = config.tlsCertFile === null ? 'http' : 'https';
  const host = config.ip.includes(':') ? `[${config.ip}]` : config.ip;
  const lines = [
    'config OK',
    `  file:     ${config.configFile ?? 'none (defaults, env and flags)'}`,
    `  listen:   ${scheme}://${host}:${config.port}`,
    `  root:     ${config.root}`,
    `  tls:      ${config.tlsCertFile === null ? 'off' : `${config.tlsCertFile} + ${config.tlsKeyFile}`}`,
  ];
  const onOff = (b: boolean): string => (b ? 'on' : 'off');
  lines.push(
    `  static:   listing ${onOff(config.directoryListing)} · dotfiles ${config.dotfiles} · compression ${onOff(config.compression)} · cache max-age=${config.cacheMaxAge}${config.cacheImmutable ? ' (immutable for fingerprinted names)' : ''}`,
  );
  const headerNames = Object.keys(config.headers);
  if (headerNames.length > 0) lines.push(`  headers:  ${headerNames.join(', ')}`);
  if (hasSiteAuth(config)) {
    // User names only: passwords never reach the output.
    const users = Object.keys(config.basicAuth);
    const from = [
      ...(users.length > 0 ? [`users ${users.join(', ')}`] : []),
      ...(config.basicAuthFile === null ? [] : [`htpasswd ${config.basicAuthFile}`]),
    ];
    lines.push(
      `  auth:     basic, realm ${JSON.stringify(config.basicAuthRealm)} · ${from.join(' · ')}`,
    );
  }
  if (config.virtualHosts.length > 0) {
    lines.push(`  vhosts:   ${config.virtualHosts.map((h) => h.domain).join(', ')}`);
  }
  if (gateway !== null) lines.push(`  gateway:  ${gateway}`);
  if (warnings > 0) lines.push(`  warnings: ${warnings}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Runs the rws command line. Exit codes: 0 success, 1 configuration problems or a failure to
 * start, 2 a command-line usage error.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv[0] === 'db') return runDbCommand(argv.slice(1), io);
  if (argv[0] === 'jobs') return runJobsCommand(argv.slice(1), io);
  // Async: secret-store references (vault://, aws-sm://, azkv://) are fetched at load and reload.
  const resolve = (): Promise<ResolveConfigResult> =>
    resolveConfigAsync({
      argv,
      env: io.env,
      cwd: io.cwd,
      readFile: io.readFile,
      fileKind: io.fileKind,
    });
  const result = await resolve();
  if (result.command === 'help') {
    io.stdout(renderHelp(VERSION));
    return 0;
  }
  if (result.command === 'version') {
    // The package version (changesets bumps apps/rws-cli/package.json) and the runtime's.
    io.stdout(`rws ${VERSION} (Node.js ${process.version})\n`);
    return 0;
  }
  if (result.isUsageError) {
    const usage = result.problems.filter((p) => p.source === 'flag');
    for (const p of usage) io.stderr(`rws: ${formatProblem(p)}\n`);
    io.stderr('Run rws --help for usage.\n');
    return 2;
  }
  for (const w of result.warnings) io.stderr(`rws: warning: ${formatProblem(w)}\n`);
  if (result.problems.length > 0) {
    io.stderr(listProblems(result.problems));
    return 1;
  }
  if (result.command === 'check') {
    try {
      // Reads the htpasswd file as `rws` would: a bad line or a malformed hash is reported here.
      siteAuth(result.config);
    } catch (err) {
      if (!isRwsError(err)) throw err;
      io.stderr(`rws: ${err.message}\n`);
      return 1;
    }
    let gateway: string | null = null;
    if (isGatewayMode(result.config)) {
      // Build it for real (env vars, key and htpasswd files, static roots), then close it:
      // what `rws` would refuse to start with, `rws check` reports.
      const file = result.config.configFile!;
      const rel = relative(io.cwd, file);
      let sqlSessionStore: SessionStore | undefined;
      try {
        sqlSessionStore = openGatewaySessionStore(result.config, io.env);
        const g = await createGateway((io.readFile ?? ((p) => readFileSync(p, 'utf8')))(file), {
          sqlSessionStore,
          file: rel.startsWith('..') || isAbsolute(rel) ? file : rel,
          cwd: dirname(file),
          env: io.env,
          ignoreOtherKeys: true,
          // Check, not serve: the [[tcp_proxy]]/[[udp_proxy]]/[[ws_proxy]] ports stay free.
          startListeners: false,
        });
        const { routes, upstreams, tcpProxies, udpProxies, wsProxies, session, oidc } = g.config;
        const l4 = tcpProxies.length + udpProxies.length;
        const ws = wsProxies.length;
        const identity = `${session === null ? '' : `, sessions in ${session.store}`}${oidc === null ? '' : `, OIDC login (${oidc.preset ?? oidc.issuer})`}`;
        gateway = `${routes.length} route${routes.length === 1 ? '' : 's'}, ${upstreams.length} upstream${upstreams.length === 1 ? '' : 's'}${l4 > 0 ? `, ${l4} TCP/UDP listener${l4 === 1 ? '' : 's'}` : ''}${ws > 0 ? `, ${ws} WebSocket listener${ws === 1 ? '' : 's'}` : ''}${identity}${result.config.isRootSet ? ', unmatched requests served from root' : ', unmatched requests 404'}`;
        await g.close();
      } catch (err) {
        if (err instanceof GatewaySessionStoreError) {
          io.stderr(`rws: ${err.message}\n`);
          return 1;
        }
        if (!(err instanceof GatewayConfigError)) throw err;
        io.stderr(listProblems(err.problems));
        return 1;
      } finally {
        await sqlSessionStore?.close?.();
      }
    }
    io.stdout(summary(result.config, result.warnings.length, gateway));
    return 0;
  }
  try {
    await io.startServer(result.config, {
      stdout: (text) => io.stdout(text),
      stderr: (text) => io.stderr(text),
      isTTY: io.isTTY,
      resolve,
      isPortExplicit: result.setKeys.has('port'),
      opener: io.env['RWS_OPENER'],
      env: io.env,
    });
    return 0;
  } catch (err) {
    io.stderr(`rws: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
