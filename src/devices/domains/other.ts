import { defineDomain } from './types.js';

/** A Home Assistant domain the hub does not model: carried as is, its services called by name. */
export const other = defineDomain({
  name: 'other',
  operations: {},
  risk: 'medium',
  ui: { group: 'Other' },
});
