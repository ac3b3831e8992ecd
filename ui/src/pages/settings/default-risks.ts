// The gate's built-in risk table (DEFAULT_RISKS in src/config/sections/policy.ts), inlined at
// build time by ui/vite.config.ts so that zod stays out of the bundle.
export { DEFAULT_RISK_TABLE } from 'virtual:default-risks';
