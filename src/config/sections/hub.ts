import { z } from 'zod';

export const hubSection = z
  .strictObject({
    name: z.string().min(1).max(80).default('Home').describe("The home's name, shown in the UI and in messages."),
    timezone: z
      .string()
      .refine((tz) => isTimeZone(tz), { message: 'expected an IANA time zone such as Europe/London' })
      .default('UTC')
      .describe("The home's time zone (IANA name); quiet hours and time windows use it."),
    data_dir: z.string().min(1).default('./data').describe('Where the database, setup code and backups live.'),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log verbosity.').meta({ restart: true }),
    log_format: z.enum(['auto', 'json', 'pretty']).default('auto').describe('`auto`: readable on a terminal, JSON otherwise.').meta({ restart: true }),
    demo: z
      .boolean()
      .default(true)
      .describe(
        "Run the simulated demo home on the embedded broker; turns on and off while the hub runs. Its devices have ids of their own (lock.demo_front_door, …), so they never take a real device's id.",
      ),
    country: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'expected a two-letter country code (ISO 3166) such as GB or US')
      .nullable()
      .optional()
      .describe(
        "The home's country (ISO 3166 alpha-2, such as GB or US): phone numbers typed without a country code are read as this country's. null: none (numbers need their country code).",
      ),
    latitude: z
      .number()
      .min(-90)
      .max(90)
      .nullable()
      .default(null)
      .describe("The home's latitude in degrees (north positive); workflows' sunrise and sunset triggers need it."),
    longitude: z.number().min(-180).max(180).nullable().default(null).describe("The home's longitude in degrees (east positive)."),
  })
  .describe('The hub itself.');

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
