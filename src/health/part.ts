import { definePart } from '../part/define.js';
import { createHealthPart, healthTables } from './history.js';

/** CPU, memory, disk and temperature each minute, and their history. */
export const healthPart = definePart({
  name: 'health',
  tables: healthTables,
  create: (ctx) => createHealthPart(ctx),
});
