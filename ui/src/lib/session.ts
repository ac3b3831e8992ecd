import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { MemberView, Role } from '../api/types';

export interface Session {
  me: MemberView;
  home: string;
  /** Everyone in the home by name (GET /auth/me), so any role's screens can say who did what. */
  household: { id: string; display_name: string }[];
  refresh: () => Promise<void>;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

/** What the role may see in the menu. The server still decides; this only avoids dead ends. */
export function mayAudit(role: Role): boolean {
  return role === 'owner' || role === 'adult';
}
export function isOwner(role: Role): boolean {
  return role === 'owner';
}
