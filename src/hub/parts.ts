import type { HubContext } from '../core/context.js';
import type { PartTables } from '../store/database.js';
import type { Authenticator } from '../members/model.js';
import type { PartInstance } from './part.js';
import { configTables } from '../config/tables.js';
import { auditTables } from '../audit/tables.js';
import { membersTables, createMembersPart } from '../members/index.js';
import { devicesTables, createDevicesPart } from '../devices/index.js';
import { createWebPart } from '../channels/web/index.js';
import { gateTables, createGatePart } from '../gate/index.js';
import { linkTables, createLinkPart } from '../link/index.js';
import { notifyTables, createNotifyPart } from '../notify/index.js';
import { telegramTables, createTelegramPart } from '../channels/telegram/index.js';
import { healthTables, createHealthPart } from '../health/history.js';
import { createConnectionTestPart } from '../config/test-connection.js';
import { backupsTables, createBackupsPart } from '../backups/index.js';
import type { SecretBox } from '../config/secret-box.js';

/** Every part's tables, migrated when the store opens. Add a part's tables here. */
export const allTables: PartTables[] = [configTables, auditTables, membersTables, devicesTables, gateTables, linkTables, notifyTables, telegramTables, healthTables, backupsTables];

export interface Parts {
  /** In start order; services start in this order and stop in reverse. */
  list: PartInstance[];
  authenticator: Authenticator;
}

/**
 * Makes the parts from the context, lower parts first, handing each the parts it builds on.
 * This is the one place that knows how the parts fit together.
 */
export function createParts(ctx: HubContext, secrets: SecretBox): Parts {
  const members = createMembersPart(ctx);
  const devices = createDevicesPart(ctx);
  const gate = createGatePart(ctx, { members: members.members, registry: devices.registry, adapters: devices.adapters });
  const web = createWebPart(ctx);
  const link = createLinkPart(ctx, { gate: gate.gate });
  const notify = createNotifyPart(ctx, { members: members.members, registry: devices.registry });
  const telegram = createTelegramPart(ctx, { members: members.members, router: notify.router, gate: gate.gate, registry: devices.registry });
  return { list: [members, devices, gate, link, notify, telegram, web, createHealthPart(ctx), createBackupsPart(ctx, { secrets }), createConnectionTestPart(ctx)], authenticator: members.authenticator };
}
