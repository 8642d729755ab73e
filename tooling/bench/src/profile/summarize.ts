/** Turns V8 CPU and sampling-heap profiles into per-request tables (used by profile.ts). */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
}

interface CpuProfile {
  nodes: CpuNode[];
  startTime: number;
  endTime: number;
}

interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

/** A sampling heap profile as `HeapProfiler.stopSampling` returns it. */
export interface HeapProfile {
  head: HeapNode;
}

/** `name file:line`, the file shortened to its path inside the repository or node_modules. */
function where(frame: CallFrame): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return name;
  let url = frame.url.replace(/^file:\/\//, '');
  const nm = url.lastIndexOf('node_modules/');
  const repo = url.search(/\/(packages|apps|tooling)\//);
  if (nm !== -1) url = url.slice(nm + 13);
  else if (repo !== -1) url = url.slice(repo + 1);
  return `${name} ${url}:${frame.lineNumber + 1}`;
}

function table(rows: [string, number][], total: number, unit: (n: number) => string, top: number) {
  rows.sort((a, b) => b[1] - a[1]);
  return rows
    .slice(0, top)
    .map(
      ([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${unit(v).padStart(10)}  ${k}`,
    )
    .join('\n');
}

/** Self time per function over the profile, and the wall time per request it covers. */
export function summarizeCpu(profile: CpuProfile, requests: number, top: number): string {
  const self = new Map<string, number>();
  let samples = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    samples += hits;
    const key = where(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + hits);
  }
  const usPerRequest = (profile.endTime - profile.startTime) / requests;
  const layers = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const layer = layerOf(node.callFrame);
    if (layer === null) continue;
    busy += hits;
    layers.set(layer, (layers.get(layer) ?? 0) + hits);
  }
  return (
    `${samples} samples, ${usPerRequest.toFixed(1)} µs of profile per request (self time):\n` +
    table([...self], samples, (n) => `${n}`, top) +
    `\n\nbusy time (${busy} samples, idle left out) by layer:\n` +
    table([...layers], busy, (n) => `${n}`, layers.size)
  );
}

/** Native socket writes: the write(2) syscall (and its small encoding step) under a sampler. */
const SOCKET_WRITES = new Set([
  'writeUtf8String',
  'writeLatin1String',
  'writeAsciiString',
  'writeBuffer',
  'writev',
]);
const SOCKET_READS = new Set(['onStreamRead']);

/**
 * Which layer a sample's function belongs to, for the "where the time goes" split: our code
 * (packages/, apps/), Node's JavaScript (node:), dependencies, native socket writes (on
 * loopback the kernel's whole TCP path, the peer's receive side included, runs inside them),
 * other native functions, V8's GC and `(program)` (native code V8 cannot attribute, libuv's
 * reads among it). Null for idle.
 */
function layerOf(frame: CallFrame): string | null {
  const name = frame.functionName;
  if (name === '(idle)') return null;
  if (name === '(garbage collector)') return 'V8 garbage collector';
  if (name === '(program)') return '(program): native, unattributed (libuv, V8 runtime)';
  if (frame.url === '') {
    if (SOCKET_WRITES.has(name)) return 'socket write (syscall + encoding)';
    return 'other native functions';
  }
  if (frame.url.startsWith('node:')) {
    return SOCKET_READS.has(name) ? 'Node JS: net/streams' : `Node JS: ${nodeArea(frame.url)}`;
  }
  if (/\/(packages|apps)\//.test(frame.url) && !frame.url.includes('node_modules')) {
    const m = /\/(packages|apps)\/([^/]+)\//.exec(frame.url);
    return `rws: ${m?.[2] ?? 'other'}`;
  }
  return 'dependencies';
}

/** Node's internal modules grouped: net and streams, timers and ticks, the rest. */
function nodeArea(url: string): string {
  if (/^node:(net|stream|internal\/(streams|stream_base_commons))/.test(url)) return 'net/streams';
  if (/^node:internal\/(process\/task_queues|timers|fixed_queue)|^node:timers/.test(url)) {
    return 'ticks/timers';
  }
  if (/^node:(buffer|internal\/buffer)/.test(url)) return 'buffer';
  return 'other';
}

/**
 * Bytes allocated per request (V8's scaled sampling estimate) and the sites that allocate;
 * `unit` names what was counted when it is not a request (a job, a statement).
 */
export function summarizeAllocations(
  profile: HeapProfile,
  requests: number,
  top: number,
  unit = 'request',
): string {
  const self = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode): void => {
    total += node.selfSize;
    const key = where(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  const per = unit === 'request' ? 'req' : unit;
  return (
    `${Math.round(total / requests)} bytes allocated per ${unit} (${requests} ${unit}s):\n` +
    table([...self], total, (n) => `${Math.round(n / requests)} B/${per}`, top)
  );
}
