import { type FSWatcher, watch } from 'node:fs';
import { resolve } from 'node:path';
import { RwsError } from '@rws/core';

/** Default template directory, as in rust-web-server (`RWS_CONFIG_TEMPLATE_DIR`). */
const DEFAULT_TEMPLATE_DIR = 'templates';
/** Editors write a file in several steps; one reload after the burst is enough. */
const WATCH_DEBOUNCE_MS = 50;

/**
 * A template engine behind `createTemplates()`: renders a named template from `dir`.
 *
 * An adapter escapes interpolated values by default; raw output must be explicit in the template.
 */
export interface TemplateEngine {
  readonly name: string;
  /** Renders `name` with `data`. Throws an `RwsError` `RWS_ROUTER_TEMPLATE_NOT_FOUND` for a missing template. */
  render(name: string, data: Record<string, unknown>): Promise<string>;
  /** Drops compiled templates so the next render reads the files again. */
  reload(): void;
}

/** Builds an engine for one template directory (an adapter such as `etaEngine()` returns one). */
export type TemplateEngineFactory = (options: { dir: string }) => TemplateEngine;

/** Options for `createTemplates()`. */
export interface TemplatesOptions {
  /** Template directory. Default: `RWS_CONFIG_TEMPLATE_DIR`, else `templates`, resolved from the cwd. */
  dir?: string;
  /** The engine adapter, e.g. `etaEngine()` from `@rws/router/templates/eta`. */
  engine: TemplateEngineFactory;
  /** Reload on SIGHUP. Default `true`. */
  reloadOnSighup?: boolean;
  /** Watch `dir` and reload on change (debounced). Default: `NODE_ENV === 'development'`. */
  watch?: boolean;
}

/** Rendering bound to one template directory; close it to stop watching. */
export interface Templates {
  readonly dir: string;
  /** Renders template `name` to a string; pass it to `html()` from a handler. */
  render(name: string, data?: Record<string, unknown>): Promise<string>;
  /** Re-reads templates from disk on the next render. */
  reload(): void;
  /** Stops the file watcher and the SIGHUP listener. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Creates a template renderer over `dir` with the given engine adapter.
 *
 * @example
 * ```ts
 * import { html } from '@rws/core';
 * import { createTemplates } from '@rws/router/templates';
 * import { etaEngine } from '@rws/router/templates/eta';
 *
 * const templates = createTemplates({ dir: 'views', engine: etaEngine() });
 * const handler = async () => html(await templates.render('home', { user: 'Ada' }));
 * ```
 */
export function createTemplates(options: TemplatesOptions): Templates {
  const dir = resolve(
    options.dir ?? process.env['RWS_CONFIG_TEMPLATE_DIR'] ?? DEFAULT_TEMPLATE_DIR,
  );
  const engine = options.engine({ dir });
  const reload = (): void => engine.reload();
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  if (options.watch ?? process.env['NODE_ENV'] === 'development') {
    watcher = watch(dir, { recursive: true }, () => {
      clearTimeout(timer);
      timer = setTimeout(reload, WATCH_DEBOUNCE_MS);
      timer.unref();
    });
    watcher.unref();
  }
  const onHup = options.reloadOnSighup === false ? undefined : reload;
  if (onHup) process.on('SIGHUP', onHup);
  const close = async (): Promise<void> => {
    clearTimeout(timer);
    watcher?.close();
    if (onHup) process.removeListener('SIGHUP', onHup);
  };
  return {
    dir,
    render: (name, data = {}) => engine.render(name, data),
    reload,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * The error an adapter throws when template `name` (or one it includes) does not exist in `dir`.
 * The engine's own message is appended because it names the file that is missing.
 */
export function templateNotFound(name: string, dir: string, cause?: unknown): RwsError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new RwsError(
    'RWS_ROUTER_TEMPLATE_NOT_FOUND',
    `template ${JSON.stringify(name)} not found in ${dir}${detail}`,
    { status: 500, cause },
  );
}
