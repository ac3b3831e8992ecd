import { sign, verify, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { canonicalJson } from '../core/canonical-json.js';

/**
 * The wire formats of the hybrid link, shared by the hub and the relay. Every payload that
 * arrives over MQTT is parsed with one of these schemas; anything else is logged and ignored.
 */

export const TOPIC_ROOT = 'hearth/v1';
export const hubIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export function topicsFor(hubId: string) {
  const root = `${TOPIC_ROOT}/${hubId}`;
  return {
    root,
    status: `${root}/status`,
    upEvents: `${root}/up/events`,
    /** Pieces of a backup copy for the relay (backupChunkSchema), QoS 1, shared between relays. */
    upBackup: `${root}/up/backup`,
    downCmd: `${root}/down/cmd`,
    rpcReq: `${root}/rpc/req`,
    /** Replies go under the hub's own root, so the broker's ACL (hearth/v1/<hub>/#) allows them. */
    rpcResPrefix: `${root}/rpc/res`,
    support: `${root}/support`,
  };
}

/** `hearth/v1/<hub>/<rest>` → hub id and rest, or undefined. */
export function parseTopic(topic: string): { hubId: string; rest: string } | undefined {
  const m = /^hearth\/v1\/([A-Za-z0-9_-]{1,64})\/(.+)$/.exec(topic);
  return m ? { hubId: m[1]!, rest: m[2]! } : undefined;
}

/** One piece of a sealed backup on its way to the relay; the relay joins them and checks sha256. */
export const backupChunkSchema = z.strictObject({
  v: z.literal(1),
  hub_id: hubIdSchema,
  name: z.string().regex(/^hearth-\d{8}-\d{6}(-\d+)?\.hbk$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  download_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
  index: z.number().int().min(0),
  count: z.number().int().min(1).max(100_000),
  data: z.base64(),
});
export type BackupChunk = z.infer<typeof backupChunkSchema>;

export const priorityClasses = ['audit', 'alert', 'event', 'telemetry'] as const;
export const priorityClassSchema = z.enum(priorityClasses);
export type PriorityClass = z.infer<typeof priorityClassSchema>;

/** One message on `up/events`. `id` is stable across retries: the receiver drops repeats by it. */
export const upMessageSchema = z.object({
  v: z.literal(1),
  id: z.string().min(1).max(200),
  hub_id: hubIdSchema,
  class: priorityClassSchema,
  type: z.string().min(1).max(200),
  at: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type UpMessage = z.infer<typeof upMessageSchema>;

export const auditMessageId = (hubId: string, seq: number): string => `${hubId}:audit:${seq}`;

/** A signed envelope: `sig` is Ed25519 over the canonical JSON of `body`. */
export const signedEnvelopeSchema = z.object({
  body: z.record(z.string(), z.unknown()),
  sig: z.string().max(200).optional(),
});

export const actionSchema = z.strictObject({
  entity_id: z.string().min(1).max(200),
  operation: z.string().min(1).max(100),
  params: z.record(z.string(), z.unknown()).default({}),
});

/** `down/cmd`: an action for the gate, from the cloud. */
export const downCommandSchema = z.strictObject({
  id: z.string().min(8).max(100),
  hub_id: hubIdSchema,
  issued_at: z.number().int(),
  expires_at: z.number().int(),
  action: actionSchema,
  reason: z.string().max(500).optional(),
  /** Who in the cloud asked (a relay account), for the audit trail. */
  actor: z.string().max(200).optional(),
});
export type DownCommand = z.infer<typeof downCommandSchema>;

export const engineerSchema = z.strictObject({ id: z.string().min(1).max(64), name: z.string().max(200) });

/** `rpc/req`, with the MQTT 5 response topic and correlation data in the packet's properties. */
export const rpcRequestSchema = z.strictObject({
  id: z.string().min(8).max(100),
  hub_id: hubIdSchema,
  method: z.string().min(1).max(100),
  params: z.record(z.string(), z.unknown()).default({}),
  expires_at: z.number().int(),
  engineer: engineerSchema.optional(),
  grant_id: z.string().max(100).optional(),
});
export type RpcRequest = z.infer<typeof rpcRequestSchema>;

export const rpcResponseSchema = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
]);
export type RpcResponse = z.infer<typeof rpcResponseSchema>;

/** Retained on `hearth/v1/<hub>/support`: the grants the owner has given now. */
export const supportAnnouncementSchema = z.object({
  hub_id: hubIdSchema,
  at: z.number().int(),
  grants: z.array(
    z.object({
      id: z.string(),
      scope: z.enum(['diagnostics', 'maintenance']),
      engineer: z.string().nullable(),
      expires_at: z.number().int(),
    }),
  ),
});
export type SupportAnnouncement = z.infer<typeof supportAnnouncementSchema>;

export function signBody(key: KeyObject, body: Record<string, unknown>): string {
  return sign(null, Buffer.from(canonicalJson(body)), key).toString('base64');
}

export function verifyBody(key: KeyObject, body: Record<string, unknown>, sig: string): boolean {
  try {
    return verify(null, Buffer.from(canonicalJson(body)), key, Buffer.from(sig, 'base64'));
  } catch {
    return false;
  }
}

/** A key given as PEM text or as the path of a PEM file. */
function pemOf(value: string): string {
  return value.includes('-----BEGIN') ? value : readFileSync(value, 'utf8');
}

export function loadPublicKey(value: string): KeyObject {
  const key = createPublicKey(pemOf(value));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the key is ${key.asymmetricKeyType}, not Ed25519`);
  return key;
}

export function loadPrivateKey(value: string): KeyObject {
  const key = createPrivateKey(pemOf(value));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the key is ${key.asymmetricKeyType}, not Ed25519`);
  return key;
}

export const isPemPath = (value: string): boolean => !value.includes('-----BEGIN') && existsSync(value);
