import { definePart } from '../part/define.js';
import { configTables } from '../config/tables.js';
import { llmCheck } from '../config/checks.js';
import { definePolicyChange, settingsRoutes } from '../config/routes.js';
import { createConnectionTestPart } from '../config/test-connection.js';
import { auditTables } from '../audit/tables.js';
import { auditRoutes } from '../audit/routes.js';

/**
 * The settings and the audit trail are made by `Hub.create` before any part (they are in the
 * context every part gets); as parts they bring their tables and their routes. The settings
 * part also tries connections for the settings page from every part's checks.
 */
export const configPart = definePart({
  name: 'config',
  tables: configTables,
  // Until the telephony and inference parts exist, their sections' checks are listed here.
  checks: [llmCheck],
  create: (ctx) => {
    definePolicyChange(ctx, ctx.changes); // changing the policy is a hub change through the gate
    return { name: 'config', routes: settingsRoutes(ctx, ctx.changes) };
  },
});

export const auditPart = definePart({
  name: 'audit',
  tables: auditTables,
  create: (ctx) => ({ name: 'audit', routes: auditRoutes(ctx) }),
});

/** POST /api/v1/settings/test-connection, over the checks marked `connection`. */
export const connectionTestPart = definePart({
  name: 'connection-test',
  create: (ctx, _deps, hub) => createConnectionTestPart(ctx, hub.checks),
});
