/**
 * The token scopes offered as checkboxes. The server has no list of scopes, only a rule (an area
 * is the first path segment under /api/v1; `<area>`, `<area>:read`, `<area>:write`, `*`), so
 * this list is kept here; tests/ui/owner-tools.test.ts checks that every area in it is a route
 * prefix in the hub's OpenAPI document. `members`, `actions` and `approvals` take the bare area
 * only (docs/security.md), hence no `:read` for them. Anything else goes in "Other scopes".
 */
export const TOKEN_SCOPES: Array<[scope: string, words: string]> = [
  ['*', 'Everything your account may do'],
  ['entities:read', 'See devices and their state'],
  ['actions', 'Ask for actions and talk to the hub (they pass the same approvals)'],
  ['approvals', 'See and decide approvals'],
  ['events:read', 'Follow live events'],
  ['audit:read', 'Read the audit trail'],
  ['health:read', 'Read health and its history'],
  ['notifications', 'Send and read notifications'],
  ['members', 'People and their preferences'],
  ['settings:read', 'Read the settings'],
  ['settings', 'Change the settings'],
  ['devices', 'Device logins for the LAN broker'],
  ['tokens', 'List and revoke API tokens'],
];

/** The area of a scope: `audit:read` → `audit`; null for `*`. */
export const areaOf = (scope: string): string | null => (scope === '*' ? null : scope.split(':')[0]!);
