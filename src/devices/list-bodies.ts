import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import type { Entity } from './model.js';
import type { EntityFilter, EntityRegistry } from './registry.js';

const gzipAsync = promisify(gzip);
/** Below this a body goes as it is: gzip would save little and cost a trip to the thread pool. */
const GZIP_FROM_BYTES = 1024;
/** How many filters keep a body (a few are in use; bounded all the same). */
const MAX_FILTERS = 16;

const OPEN = Buffer.from('{"entities":[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');
/** UTF-8 in a buffer of its own: a slice of Node's shared 8 KiB pool would keep the whole pool alive while the entity lasts. */
function utf8(text: string): Buffer {
  const out = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  out.write(text);
  return out;
}

/** One answer of GET /entities for one filter at one registry revision. */
export interface EntityListBody {
  /** Weak: the plain and the gzipped body are the same list (RFC 9110 §8.8.1). */
  readonly etag: string;
  /** `{"entities":[…]}` as UTF-8, exactly as JSON.stringify would write it. */
  readonly json: Buffer;
  /** The same, gzipped on libuv's thread pool (not the event loop) the first time a client accepts it. */
  gzipped(): Promise<Buffer>;
}

/**
 * The bodies of GET /entities, built once per registry change rather than once per request.
 * Entities are replaced, never changed in place (see EntityRegistry.put), so each one's JSON is
 * kept by object, as UTF-8: after one state change the next list copies 1,999 kept byte strings and writes one.
 */
export class EntityListBodies {
  private readonly fragments = new WeakMap<Entity, Buffer>();
  private readonly bodies = new Map<string, { revision: number; body: EntityListBody }>();

  constructor(private readonly registry: Pick<EntityRegistry, 'list' | 'revision' | 'boot'>) {}

  get(filter: EntityFilter): EntityListBody {
    const key = `${filter.domain ?? ''}|${filter.source ?? ''}`;
    const revision = this.registry.revision;
    const kept = this.bodies.get(key);
    if (kept?.revision === revision) return kept.body;
    const body = this.build(filter, `W/"${this.registry.boot}-${revision}-${encodeURIComponent(key)}"`); // a header holds ASCII only
    if (!kept && this.bodies.size >= MAX_FILTERS) this.bodies.clear();
    this.bodies.set(key, { revision, body });
    return body;
  }

  private build(filter: EntityFilter, etag: string): EntityListBody {
    const entities = this.registry.list(filter);
    const parts: Buffer[] = [OPEN];
    entities.forEach((e, i) => {
      let bytes = this.fragments.get(e);
      if (bytes === undefined) this.fragments.set(e, (bytes = utf8(JSON.stringify(e))));
      if (i > 0) parts.push(COMMA);
      parts.push(bytes);
    });
    parts.push(CLOSE);
    // Copying kept bytes: joining strings and encoding 800 KB of them again (a '°C' makes V8 keep them two bytes a character) cost 2 ms of the 3.
    const json = Buffer.concat(parts);
    let zipped: Promise<Buffer> | undefined;
    // Level 1: a body is zipped once per change, and at level 1 a list of entities is already ~4 % of its size.
    return { etag, json, gzipped: () => (zipped ??= gzipAsync(json, { level: constants.Z_BEST_SPEED })) };
  }
}

/** Whether the client's If-None-Match names this ETag (weak comparison; `*` matches any). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = (t: string) => t.trim().replace(/^W\//, '');
  const want = opaque(etag);
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || opaque(t) === want);
}

/** Whether gzip is worth sending: the client accepts it (not with q=0) and the body is large enough. */
export function wantsGzip(acceptEncoding: string | undefined, bytes: number): boolean {
  if (!acceptEncoding || bytes < GZIP_FROM_BYTES) return false;
  return acceptEncoding.split(',').some((part) => {
    const [coding, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.find((p) => p.startsWith('q='));
    return !q || Number(q.slice(2)) > 0;
  });
}
