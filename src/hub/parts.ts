import type { PartTables } from '../store/database.js';
import { configTables } from '../config/tables.js';
import { auditTables } from '../audit/tables.js';
import { membersTables } from '../members/index.js';

/** Every part's tables, migrated when the store opens. Add a part's tables here. */
export const allTables: PartTables[] = [configTables, auditTables, membersTables];
