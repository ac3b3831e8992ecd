import { definePart } from '../part/define.js';
import { backupsTables, createBackupsPart } from './index.js';

/** Daily encrypted backups into <data>/backups/ and a second folder; Health → Backups. */
export const backupsPart = definePart({ name: 'backups', tables: backupsTables, create: (ctx) => createBackupsPart(ctx) });
