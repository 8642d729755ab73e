/**
 * Parsing and merging of Prometheus text exposition (format 0.0.4), so the output of several
 * collectors becomes one valid scrape: each family's `# HELP`/`# TYPE` once, its samples
 * together (the format requires a family's lines to be contiguous), no series twice.
 */

/** One metric family: its metadata and sample lines, in the order they came. */
export interface Family {
  readonly name: string;
  help: string | null;
  type: string | null;
  readonly samples: string[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
// name, optional {labels} (quoted values with \\ \" \n escapes), value, optional timestamp.
const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*,?)?\})? ([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)(?: -?\d+)?$/;

/** The family a sample named `sample` belongs to, given the families declared so far. */
function familyOf(sample: string, families: Map<string, Family>): string {
  if (families.has(sample)) return sample;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sample.endsWith(suffix)) continue;
    const base = sample.slice(0, -suffix.length);
    const f = families.get(base);
    if (f === undefined) continue;
    if (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket')) return base;
  }
  return sample;
}

/**
 * Parses `text` into families. Throws an `Error` naming the first bad line (its 1-based
 * number and content), so a broken collector is reported, not served.
 */
export function parseExposition(text: string): Family[] {
  const families = new Map<string, Family>();
  const get = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) {
      f = { name, help: null, type: null, samples: [] };
      families.set(name, f);
    }
    return f;
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const bad = (why: string): never => {
      throw new Error(`line ${i + 1} ${why}: ${JSON.stringify(line.slice(0, 200))}`);
    };
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
      if (m === null) continue; // A plain comment.
      const name = m[2]!;
      if (!NAME.test(name)) bad('names an invalid metric');
      const f = get(name);
      const rest = m[3] ?? '';
      // Texts concatenated from several sources repeat a family's HELP/TYPE: the first HELP
      // stays; a TYPE must agree with the one before it.
      if (m[1] === 'HELP') f.help ??= rest;
      else if (f.type !== null) {
        if (f.type !== rest) bad(`contradicts the earlier TYPE ${f.type}`);
      } else {
        if (!TYPES.has(rest)) bad('has an unknown type');
        if (f.samples.length > 0) bad('comes after samples of its family');
        f.type = rest;
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    if (m === null) bad('is not a sample');
    get(familyOf(m![1]!, families)).samples.push(line);
  }
  return [...families.values()];
}

/** The series identity of a sample line (name and labels, without value and timestamp). */
function seriesKey(sample: string): string {
  const brace = sample.indexOf('}');
  return brace === -1 ? sample.slice(0, sample.indexOf(' ')) : sample.slice(0, brace + 1);
}

/**
 * Merges families into `into` (by name, first seen first). A family declared with another
 * TYPE than the one already there throws; a series already present is dropped.
 */
export function mergeFamilies(into: Map<string, Family>, families: readonly Family[]): void {
  // Check first, so a conflicting collector changes nothing.
  for (const f of families) {
    const old = into.get(f.name);
    if (old !== undefined && f.type !== null && old.type !== null && old.type !== f.type) {
      throw new Error(`family ${f.name} is a ${f.type} here but a ${old.type} elsewhere`);
    }
  }
  for (const f of families) {
    let old = into.get(f.name);
    if (old === undefined) {
      old = { name: f.name, help: null, type: null, samples: [] };
      into.set(f.name, old);
    }
    old.help ??= f.help;
    old.type ??= f.type;
    const seen = new Set(old.samples.map(seriesKey));
    for (const s of f.samples) {
      const key = seriesKey(s);
      if (seen.has(key)) continue;
      seen.add(key);
      old.samples.push(s);
    }
  }
}

/** Renders families as exposition text, ending with a newline. */
export function renderFamilies(families: Iterable<Family>): string {
  const lines: string[] = [];
  for (const f of families) {
    if (f.help !== null) lines.push(`# HELP ${f.name} ${f.help}`);
    if (f.type !== null) lines.push(`# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) lines.push(s);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
