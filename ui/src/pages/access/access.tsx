import { PageHead } from '../../components/ui';
import { isOwner, useSession } from '../../lib/session';
import { SupportAccess } from './support';
import { ApiTokens } from './tokens';

/**
 * Who else may reach the hub: support sessions (owner only, as the server decides) and API
 * tokens (every member their own; an owner sees everyone's). Its own page, not a Settings tab,
 * because tokens are for every member and Settings is the owner's.
 */
export function AccessPage() {
  const { me } = useSession();
  return (
    <>
      <PageHead title="Access" />
      <div class="stack">
        {isOwner(me.role) ? <SupportAccess /> : null}
        <ApiTokens />
      </div>
    </>
  );
}
