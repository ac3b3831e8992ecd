import type { ActionGate } from '../gate/gate.js';

/**
 * What the link uses of the action gate: requests from the relay and support engineers, and
 * the support maintenance steps it registers as system actions. Derived from the gate's own
 * types (the link sits above the gate), narrowed so a unit test can hand in a small gate.
 */
export type GatePort = Pick<ActionGate, 'request' | 'registerSystemAction'>;
export type GateActionRequest = Parameters<ActionGate['request']>[0];
