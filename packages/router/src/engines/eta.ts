import { type TemplateEngine, type TemplateEngineFactory, templateNotFound } from '../templates.js';

/** The part of an Eta instance the adapter uses (the peer is never imported for types). */
interface EtaInstance {
  renderAsync(name: string, data: object): Promise<string>;
}

/** The part of the `eta` module the adapter uses. */
export interface EtaModule {
  Eta: new (config: { views: string; cache: boolean; autoEscape: boolean }) => EtaInstance;
  /** Thrown for a template (or an included one) that is missing or outside the views directory. */
  EtaFileResolutionError: abstract new (
    ...args: never[]
  ) => Error;
}

/** Options for `etaEngine()`. */
export interface EtaEngineOptions {
  /** The `eta` module (`import * as eta from 'eta'`); by default it is imported from the app's dependencies on first render. */
  lib?: EtaModule;
}

/**
 * The Eta adapter (`eta` is an optional peer dependency: `npm i eta`).
 *
 * `<%= it.x %>` escapes HTML, `<%~ it.x %>` writes raw output; layouts with `<% layout('./base') %>`
 * and `<%~ it.body %>`, partials with `<%~ await includeAsync('./part', it) %>`.
 *
 * @example
 * ```ts
 * import { createTemplates } from '@rws/router/templates';
 * import { etaEngine } from '@rws/router/templates/eta';
 *
 * const templates = createTemplates({ dir: 'views', engine: etaEngine() });
 * ```
 */
export function etaEngine(options: EtaEngineOptions = {}): TemplateEngineFactory {
  return ({ dir }) => {
    let lib: Promise<EtaModule> | undefined = options.lib && Promise.resolve(options.lib);
    let eta: Promise<EtaInstance> | undefined;
    // A fresh instance drops Eta's compiled-template cache; that is what reload means here.
    const load = (): Promise<EtaModule> => {
      lib ??= import('eta') as Promise<unknown> as Promise<EtaModule>;
      return lib;
    };
    const instance = (): Promise<EtaInstance> => {
      eta ??= load().then((m) => new m.Eta({ views: dir, cache: true, autoEscape: true }));
      return eta;
    };
    const engine: TemplateEngine = {
      name: 'eta',
      async render(name, data) {
        const e = await instance();
        try {
          return await e.renderAsync(name, data);
        } catch (err) {
          if (err instanceof (await load()).EtaFileResolutionError) {
            throw templateNotFound(name, dir, err);
          }
          throw err;
        }
      },
      reload() {
        eta = undefined;
      },
    };
    return engine;
  };
}
