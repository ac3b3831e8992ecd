import { z } from 'zod';
import { HearthError, coreErrors } from './errors.js';

/**
 * The hub's own security-relevant changes (members and roles, the policy, support sessions,
 * device logins) are system actions through the action gate. The parts that own them sit below
 * the gate, so they reach it through this port: each part defines its changes and asks for them
 * here, and the gate binds itself once it exists (src/gate/hub-changes.ts). No part imports up.
 */
export interface HubChange {
  /** Applies the change; runs once, when the gate executes the envelope. Throws a HearthError to fail it. */
  run: (params: Record<string, unknown>) => Promise<void> | void;
}

export interface HubChangeRequest {
  /** `hub.members`, `hub.policy`, `hub.support_sessions`, `hub.device_logins`. */
  entity_id: string;
  /** One of HUB_CHANGE_OPERATIONS (config/sections/policy.ts): its risk is policy.hub_changes.risks[operation]. */
  operation: string;
  /**
   * What is needed to apply the change later, and `summary`: the change in words ("add Sam as an
   * owner"), for the approval card, Telegram and the trail. Never a password or PIN in clear:
   * hashes only (keys named *_hash are redacted wherever an envelope is shown).
   */
  params: Record<string, unknown> & { summary: string };
  /** A signed-in session (`web`) or an API token (`api`): hub changes come from no other channel. */
  origin: { member_id: string; channel: 'web' | 'api'; session_id?: string };
  reason?: string;
}

export type HubChangeResult =
  | { status: 'done'; action_id: string }
  | { status: 'pending'; approval_id: string; self_confirm: boolean }
  | { status: 'refused' | 'failed'; code: string; message: string; http_status: number };

export interface HubChangeGate {
  define(entityId: string, operation: string, change: HubChange): void;
  request(req: HubChangeRequest): Promise<HubChangeResult>;
}

/** The 202 answer of a route whose change waits for approval (the requester's own PIN, or a second person). */
export const pendingChangeSchema = z.object({
  status: z.literal('pending'),
  approval_id: z.string().describe('the approval envelope: GET /api/v1/approvals/{id}; approve with POST /api/v1/approvals/{id}/decision'),
  self_confirm: z.boolean().describe('you may approve it yourself with your PIN'),
  message: z.string(),
});
export type PendingChange = z.infer<typeof pendingChangeSchema>;

/**
 * The gate for the parts below it: definitions made before the gate exists are handed over
 * when it binds; a request before then is refused (the hub is still starting).
 */
export class HubChanges implements HubChangeGate {
  private gate?: HubChangeGate;
  private readonly early: [string, string, HubChange][] = [];

  bind(gate: HubChangeGate): void {
    this.gate = gate;
    for (const [entity, op, change] of this.early.splice(0)) gate.define(entity, op, change);
  }

  define(entityId: string, operation: string, change: HubChange): void {
    if (this.gate) this.gate.define(entityId, operation, change);
    else this.early.push([entityId, operation, change]);
  }

  async request(req: HubChangeRequest): Promise<HubChangeResult> {
    if (!this.gate) throw coreErrors.error('NOT_READY', 'The hub is still starting; try again in a moment');
    return this.gate.request(req);
  }

  /**
   * For a route: done → undefined (answer as before), pending → the 202 body, refused or
   * failed → the HearthError with the gate's code.
   */
  async ask(req: HubChangeRequest): Promise<PendingChange | undefined> {
    const result = await this.request(req);
    if (result.status === 'done') return undefined;
    if (result.status === 'pending') {
      const message = result.self_confirm ? 'Confirm this with your PIN' : 'Waiting for approval';
      return { status: 'pending', approval_id: result.approval_id, self_confirm: result.self_confirm, message };
    }
    throw new HearthError(result.code, result.message, result.http_status);
  }
}

/** Who asks, for the gate: the member, the channel (a session is the web UI, a token the API) and the web sign-in. */
export function changeOrigin(p: { member_id: string; via: 'session' | 'token'; session_id?: string }): HubChangeRequest['origin'] {
  return { member_id: p.member_id, channel: p.via === 'token' ? 'api' : 'web', ...(p.via === 'session' && p.session_id ? { session_id: p.session_id } : {}) };
}
