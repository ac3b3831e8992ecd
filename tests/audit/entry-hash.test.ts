import { describe, expect, it } from 'vitest';
import { entryHash, entryHashOf } from '../../src/audit/entry.js';
import { canonicalJson } from '../../src/core/canonical-json.js';

describe('an audit entry hash from its canonical data', () => {
  it('is the hash of the canonical JSON of the whole entry', () => {
    const entries = [
      {
        seq: 1,
        at: '2026-12-04T18:00:00.000Z',
        actor: 'system',
        origin: 'system' as const,
        kind: 'hub.started',
        subject: null,
        data: {},
        prev_hash: '0'.repeat(64),
      },
      {
        seq: 42,
        at: '2026-12-04T18:00:00.001Z',
        actor: 'workflow:wfr_1:0',
        origin: 'workflow' as const,
        kind: 'action.requested',
        subject: 'act_1 "quoted" é 🏠',
        data: { z: 1, action: { entity_id: 'lock.front', operation: 'unlock', params: { b: [1, { d: null, c: 'x' }] } }, '10': 'index key', gone: undefined },
        prev_hash: 'ab'.repeat(32),
      },
    ];
    for (const e of entries) expect(entryHashOf(e, canonicalJson(e.data))).toBe(entryHash(e));
  });
});
