import { runCli as baseRunCli, spawnHub as baseSpawnHub, type CliResult, type HubProcess } from '../helpers/hub.js';

/**
 * The shared helpers with bounds for a loaded machine: two cores shared by every part's suite
 * can make one CLI start take seconds. These are limits against hangs, not timing assertions.
 */
export const SLOW_TEST_MS = 180_000;

export function runCli(args: string[], options: Parameters<typeof baseRunCli>[1] = {}): Promise<CliResult> {
  return baseRunCli(args, { timeoutMs: 90_000, ...options });
}

export function spawnHub(args: string[], options: Parameters<typeof baseSpawnHub>[1] = {}): Promise<HubProcess> {
  return baseSpawnHub(args, { timeoutMs: 90_000, ...options });
}
