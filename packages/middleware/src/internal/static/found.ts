import type { BigIntStats } from 'node:fs';
import type { ContentKey } from './cache.js';

/** A file that resolved inside the root, with its validators precomputed. */
export interface Found {
  /** Real (symlink-free) path under the root. */
  readonly path: string;
  readonly stats: BigIntStats;
  /** The strong validator's opaque part: size, mtime (ns) and inode. */
  readonly tag: string;
  /** Last-Modified in whole seconds (HTTP dates have no finer resolution). */
  readonly lastModifiedSec: number;
  readonly lastModified: string;
}

/**
 * The earliest expiry of the stat cache entries one request's resolution used: a response
 * kept in the hot cache must not outlive any of them.
 */
export interface Lookup {
  expires: number;
}

/** A cached path resolution (a miss is cached too). */
export interface StatEntry {
  /** `Date.now()` after which the entry is stale. */
  readonly expires: number;
  readonly found: Found | null;
}

/** A small file's bytes, loaded from its second request on. */
export interface ContentEntry extends ContentKey {
  readonly path: string;
  /** Requests seen for this identity; the bytes are loaded from the second on. */
  uses: number;
  buf: Buffer | null;
  loading: Promise<Buffer | null> | null;
}

/** Builds a `Found` with its ETag part and Last-Modified string. */
export function makeFound(path: string, stats: BigIntStats): Found {
  const lastModifiedSec = Math.floor(Number(stats.mtimeMs) / 1000);
  return {
    path,
    stats,
    tag: `${stats.size.toString(36)}-${stats.mtimeNs.toString(36)}-${stats.ino.toString(36)}`,
    lastModifiedSec,
    lastModified: new Date(lastModifiedSec * 1000).toUTCString(),
  };
}
