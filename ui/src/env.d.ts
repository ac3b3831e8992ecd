// Built by ui/vite.config.ts from the server's policy section at build time.
declare module 'virtual:default-risks' {
  export const DEFAULT_RISK_TABLE: Record<string, Record<string, 'low' | 'medium' | 'high' | 'critical'>>;
}
