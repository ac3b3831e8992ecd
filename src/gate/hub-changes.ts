import type { HubChangeGate } from '../core/hub-changes.js';
import { DEFAULT_HUB_CHANGE_RISKS, type HubChangeOperation } from '../config/sections/policy.js';
import type { ActionGate } from './gate.js';
import { refusalStatus } from './errors.js';

/**
 * The gate as the parts below it see it (core/hub-changes.ts): each hub change becomes a system
 * action marked `change`, so its risk and approval rule come from policy.hub_changes, and every
 * request is an envelope or a direct action with its audit story like a door's.
 */
export function hubChangeGate(gate: ActionGate): HubChangeGate {
  return {
    define(entityId, operation, change) {
      gate.registerSystemAction(entityId, operation, {
        risk: DEFAULT_HUB_CHANGE_RISKS[operation as HubChangeOperation] ?? 'high',
        change: true,
        run: async (params) => {
          await change.run(params);
        },
        describe: (params) => `Done: ${typeof params.summary === 'string' ? params.summary : `${operation} ${entityId}`}`,
      });
    },
    async request(req) {
      const out = await gate.request({
        action: { entity_id: req.entity_id, operation: req.operation, params: req.params },
        origin: req.origin,
        reason: req.reason,
      });
      switch (out.status) {
        case 'executed':
        case 'unconfirmed': // a hub change's effect is its own completion; never unconfirmed in practice
          return { status: 'done', action_id: out.action_id };
        case 'pending':
          return { status: 'pending', approval_id: out.approval_id, self_confirm: out.self_confirm ?? false };
        case 'refused':
          return { status: 'refused', code: out.code, message: out.message, http_status: refusalStatus(out.code) };
        case 'failed':
          return {
            status: 'failed',
            code: out.detail.code ?? 'ACTION_ERROR',
            message: out.detail.message,
            http_status: out.detail.code === 'NOT_FOUND' ? 404 : 409,
          };
      }
    },
  };
}
