/**
 * What the link needs from the action gate, written as a structural type so that the link
 * builds on the gate's interface without importing its internals. `hub/parts.ts` hands the
 * real gate in.
 */
export interface GateActionRequest {
  action: { entity_id: string; operation: string; params: Record<string, unknown> };
  origin: { member_id: string | null; channel: 'relay' | 'support'; actor?: string };
  reason?: string;
}

export interface GateOutcomeLike {
  status: string;
  [key: string]: unknown;
}

export interface SystemActionSpec {
  risk: 'low' | 'medium' | 'high' | 'critical';
  run: (params: Record<string, unknown>) => Promise<void>;
  describe: (params: Record<string, unknown>) => string;
}

export interface GatePort {
  request(request: GateActionRequest): Promise<GateOutcomeLike> | GateOutcomeLike;
  registerSystemAction?(entityId: string, operation: string, spec: SystemActionSpec): void;
}
