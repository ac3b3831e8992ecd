import { defineErrors, HearthError } from '../core/errors.js';

/** The backups part's stable error codes and their HTTP statuses (clients switch on the code: never rename one). */
export const backupsErrors = defineErrors({
  DISK_FULL: 507,
  BACKUP_FAILED: 500,
  NOT_FOUND: 404,
  AUDIT_BROKEN: 409,
  BACKUP_WRITE_FAILED: 500,
});

/** A backup that could not be written because the disk is full: the same code, with 507 (Insufficient Storage). */
export const diskFull = (message: string): HearthError => new HearthError('BACKUP_WRITE_FAILED', message, 507);
