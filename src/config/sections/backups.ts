import { z } from 'zod';

export const backupsSection = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Back up the database every day by itself, once the owner has set a backup passphrase.'),
    hour: z.number().int().min(0).max(23).default(3).describe("The hour of the daily backup, in the home's time zone (hub.timezone)."),
    keep: z.number().int().min(1).max(365).default(7).describe('How many automatic backups to keep in each place; older ones are deleted.'),
    copy_to: z
      .string()
      .default('')
      .describe(
        'A second folder (a USB stick) that gets a copy of each automatic backup; empty for none. A missing or full folder is reported, the local backup is still kept.',
      ),
    stale_days: z.number().min(1).max(30).default(2).describe('Health turns amber when the last good backup is older than this many days.'),
  })
  .describe('Automatic encrypted backups into <data>/backups/ (and a second folder).');
