import type { HubContext } from '../core/context.js';
import type { PartTables } from '../store/database.js';
import type { Authenticator } from '../members/model.js';
import type { PartInstance } from './part.js';
import { configTables } from '../config/tables.js';
import { auditTables } from '../audit/tables.js';
import { membersTables, createMembersPart } from '../members/index.js';
import { devicesTables, createDevicesPart } from '../devices/index.js';
import { createWebPart } from '../channels/web/index.js';
import { gateTables, createGatePart, hubChangeGate } from '../gate/index.js';
import { HubChanges } from '../core/hub-changes.js';
import { linkTables, createLinkPart } from '../link/index.js';
import { notifyTables, createNotifyPart } from '../notify/index.js';
import { telegramTables, createTelegramPart } from '../channels/telegram/index.js';
import { healthTables, createHealthPart } from '../health/history.js';
import { createConnectionTestPart } from '../config/test-connection.js';

/** Every part's tables, migrated when the store opens. Add a part's tables here. */
export const allTables: PartTables[] = [configTables, auditTables, membersTables, devicesTables, gateTables, linkTables, notifyTables, telegramTables, healthTables];

export interface Parts {
  /** In start order; services start in this order and stop in reverse. */
  list: PartInstance[];
  authenticator: Authenticator;
  /** The gate for the hub's own changes, for the routes the hub makes itself (settings). */
  changes: HubChanges;
}

/**
 * Makes the parts from the context, lower parts first, handing each the parts it builds on.
 * This is the one place that knows how the parts fit together.
 */
export function createParts(ctx: HubContext): Parts {
  // The hub's own changes (members, device logins, support sessions, the policy) are defined by
  // parts below the gate and reach it through this port, bound once the gate exists.
  const changes = new HubChanges();
  const members = createMembersPart(ctx, { changes });
  const devices = createDevicesPart(ctx, { changes });
  const gate = createGatePart(ctx, { members: members.members, registry: devices.registry, adapters: devices.adapters });
  changes.bind(hubChangeGate(gate.gate));
  const web = createWebPart(ctx);
  const link = createLinkPart(ctx, { gate: gate.gate, changes });
  const notify = createNotifyPart(ctx, { members: members.members, registry: devices.registry });
  const telegram = createTelegramPart(ctx, { members: members.members, router: notify.router, gate: gate.gate, registry: devices.registry });
  return { list: [members, devices, gate, link, notify, telegram, web, createHealthPart(ctx), createConnectionTestPart(ctx)], authenticator: members.authenticator, changes };
}
