import type { HubContext } from '../part/context.js';
import type { Service } from '../core/lifecycle.js';
import type { PartInstance } from '../part/define.js';
import type { Authenticator } from './model.js';
import { MembersService } from './service.js';
import { SessionStore } from './sessions.js';
import { TokenStore } from './tokens.js';
import { LoginService } from './login.js';
import { FirstRun } from './setup.js';
import { MembersAuthenticator } from './authenticator.js';
import { warmUpPasswordChecks } from './passwords.js';
import { membersRoutes } from './routes.js';
import { defineMemberChanges } from './changes.js';
import type { HubChanges } from '../core/hub-changes.js';

export { membersTables } from './tables.js';
export { MembersService, actorOf, type Actor } from './service.js';
export { hasScope, roleSchema, memberViewSchema, memberSummarySchema, type Member, type MemberView, type Principal, type Role } from './model.js';
export { SESSION_COOKIE } from './sessions.js';
export { requireScope } from './member-routes.js';

export interface MembersPart extends PartInstance {
  authenticator: Authenticator;
  members: MembersService;
}

/** The members part as a lifecycle service: on start it prunes dead sessions and tokens and opens first run if needed. */
class MembersLifecycle implements Service {
  readonly name = 'members';
  constructor(
    /** Reachable through the service manager (`services.get('members').members`), e.g. by tests and the CLI. */
    readonly members: MembersService,
    private readonly sessions: SessionStore,
    private readonly tokens: TokenStore,
    private readonly firstRun: FirstRun,
  ) {}
  start(): void {
    this.sessions.prune();
    this.tokens.prune();
    this.firstRun.prepare();
    warmUpPasswordChecks();
  }
  stop(): void {}
  health() {
    return this.firstRun.needed()
      ? { status: 'ok' as const, detail: 'waiting for first-run setup (setup code in the data directory)' }
      : { status: 'ok' as const, detail: 'ready' };
  }
}

export interface MembersDeps {
  /** The action gate for the parts below it: adding, changing and removing members are hub changes. */
  changes: HubChanges;
}

export function createMembersPart(ctx: HubContext, deps: MembersDeps): MembersPart {
  const sessions = new SessionStore(ctx.store.db, ctx.clock);
  const tokens = new TokenStore(ctx.store.db, ctx.clock);
  const members = new MembersService(ctx, sessions);
  const login = new LoginService(ctx, members.repo, sessions);
  const firstRun = new FirstRun(ctx, members.repo, sessions);
  defineMemberChanges(deps.changes, members);
  return {
    name: 'members',
    services: [new MembersLifecycle(members, sessions, tokens, firstRun)],
    routes: membersRoutes({ ctx, members, sessions, tokens, login, firstRun, changes: deps.changes }),
    authenticator: new MembersAuthenticator(sessions, tokens),
    members,
  };
}
