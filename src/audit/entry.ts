import { z } from 'zod';
import { canonicalJson } from '../core/canonical-json.js';
import { sha256Hex } from '../core/ids.js';

/** Where an action or event came from. The same names are used by the gate and the envelopes. */
export const originSchema = z.enum(['web', 'api', 'cli', 'telegram', 'voice', 'workflow', 'llm', 'relay', 'support', 'system', 'mqtt']);
export type Origin = z.infer<typeof originSchema>;

export const auditEntrySchema = z.object({
  seq: z.number().int().positive(),
  at: z.string().describe('ISO 8601 time of the entry'),
  actor: z.string().describe('member id, or system / anonymous / a device or engineer name'),
  origin: originSchema,
  kind: z.string().describe('dotted kind, such as auth.login.failed or approval.decided'),
  subject: z.string().nullable().describe('the thing the entry is about: an approval, member or entity id'),
  data: z.record(z.string(), z.unknown()),
  prev_hash: z.string(),
  hash: z.string(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const GENESIS_HASH = '0'.repeat(64);

/** hash = SHA-256(prev_hash || canonical JSON of the rest), as DESIGN states. */
export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  const { prev_hash, ...rest } = entry;
  return sha256Hex(prev_hash + canonicalJson(rest));
}

/**
 * `entryHash` for an entry whose data is already canonical JSON (the trail stores that text as
 * the row's data, so it is made once). The canonical form of the rest is written out here, keys
 * in sorted order; tests/audit/entry-hash.test.ts holds it equal to entryHash.
 */
export function entryHashOf(entry: Omit<AuditEntry, 'hash' | 'data'>, canonicalData: string): string {
  const j = JSON.stringify;
  return sha256Hex(
    `${entry.prev_hash}{"actor":${j(entry.actor)},"at":${j(entry.at)},"data":${canonicalData},"kind":${j(entry.kind)},"origin":${j(entry.origin)},"seq":${j(entry.seq)},"subject":${j(entry.subject)}}`,
  );
}
