import { z } from 'zod';

export const retentionSection = z
  .strictObject({
    state_history_days: z.number().int().min(1).max(3650).default(7).describe('Days of entity state history kept.'),
    state_history_rows: z.number().int().min(1000).default(200_000).describe('Most state history rows kept, whatever their age.'),
    telemetry_days: z.number().int().min(1).max(3650).default(2).describe('Days of system telemetry (CPU, memory, disk) kept.'),
    log_days: z.number().int().min(1).max(365).default(7).describe('Days of warnings and errors kept in the log book (Health → Logs).'),
    log_rows: z.number().int().min(1000).max(1_000_000).default(20_000).describe('Most log book rows kept, whatever their age.'),
  })
  .describe('How long telemetry is kept. The audit trail is never pruned by retention.');
