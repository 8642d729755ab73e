import type { Db } from '@rws/orm';
import { prepared, type sql } from '@rws/orm';

type Query = ReturnType<typeof sql>;
type AnyKysely = Db['kysely'];
type Compiled = ReturnType<Query['compile']>;

/** Where a call's value goes in a shape: read from the call's arguments by `get`. */
class Param<A> {
  readonly get: (args: A) => unknown;
  constructor(get: (args: A) => unknown) {
    this.get = get;
  }
}

/** The placeholders a shape's builder interpolates: one per argument name. */
export type Params<A> = { readonly [K in keyof A]-?: Param<A> };

/** A placeholder for a value computed from the arguments (a list item, say). */
export const param = <A>(get: (args: A) => unknown): Param<A> => new Param(get);

/**
 * A statement whose SQL text is compiled once, then run with each call's values. Building a
 * kysely `sql` tree and compiling it on every call allocated about 10 KiB per job on the
 * add→start path (a node per fragment and per value, the compiler's strings and arrays), all
 * of it garbage the moment the text was sent; the text of a hot statement depends only on
 * the table and the dialect, so it is made on the first call and kept. Marked `prepared()`:
 * on PostgreSQL the text runs as a named statement (see SqlContext.exec).
 */
export class Shape<A> {
  readonly #build: (p: Params<A>) => Query;
  #compiled: { readonly base: Compiled; readonly getters: readonly Param<A>[] } | undefined;

  constructor(build: (p: Params<A>) => Query) {
    this.#build = build;
  }

  /** The compiled query with `args`' values (compiling the text on the first call). */
  bind(kysely: AnyKysely, args: A): Compiled {
    let c = this.#compiled;
    if (c === undefined) {
      const params = new Proxy({} as Params<A>, {
        get: (_, key) => new Param<A>((a) => (a as Record<PropertyKey, unknown>)[key]),
      });
      const compiled = this.#build(params).compile(kysely);
      const getters = compiled.parameters.map((p) => {
        if (!(p instanceof Param)) throw new Error(`a shape's value is not a placeholder: ${p}`);
        return p as Param<A>;
      });
      c = this.#compiled = { base: prepared({ ...compiled, parameters: [] }), getters };
    }
    const { getters } = c;
    const parameters = new Array<unknown>(getters.length);
    for (let i = 0; i < getters.length; i++) parameters[i] = (getters[i] as Param<A>).get(args);
    return { ...c.base, parameters };
  }
}

/** Shapes that differ by one number (a batch size, a list's length), each made when first used. */
export class ShapeFamily<A> {
  readonly #make: (n: number) => (p: Params<A>) => Query;
  readonly #byN = new Map<number, Shape<A>>();

  constructor(make: (n: number) => (p: Params<A>) => Query) {
    this.#make = make;
  }

  /** The shape for `n`. */
  of(n: number): Shape<A> {
    let s = this.#byN.get(n);
    if (s === undefined) this.#byN.set(n, (s = new Shape(this.#make(n))));
    return s;
  }
}
