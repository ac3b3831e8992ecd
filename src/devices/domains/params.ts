import { z } from 'zod';

/** Params schemas the domains share. Loose objects: a device may take more than the hub names. */
export const noParams = z.looseObject({});
/** Some locks and alarm panels take a code with the command. */
export const codeParams = z.looseObject({ code: z.union([z.string(), z.number()]).optional() });
export const percent = z.coerce.number().min(0).max(100);

/** turn_on / turn_off / toggle, as lights, switches and fans have them. */
export function onOffOperations(onParams: z.ZodType<Record<string, unknown>> = noParams) {
  return {
    turn_on: { params: onParams, expect: 'on', mqttPayload: ['payload_on', 'ON'] as const },
    turn_off: { params: noParams, expect: 'off', mqttPayload: ['payload_off', 'OFF'] as const },
    toggle: { params: noParams, expect: (_p: Record<string, unknown>, before: string) => (before === 'on' ? 'off' : 'on') },
  };
}
