// Built by ui/vite.config.ts from the server's policy section at build time.
declare module 'virtual:default-risks' {
  export const DEFAULT_RISK_TABLE: Record<string, Record<string, 'low' | 'medium' | 'high' | 'critical'>>;
}

// Built by ui/vite.config.ts from the domain descriptions (src/devices/domains/) at build time.
declare module 'virtual:domains' {
  export type ControlKind = 'toggle' | 'dimmer' | 'lock' | 'open_close' | 'alarm' | 'thermostat' | 'press' | 'activate' | 'reading';
  export const DOMAINS: Record<string, { control: ControlKind | null; group: string; operations: Record<string, { params: unknown }> }>;
}
