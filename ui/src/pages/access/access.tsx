import { PageHead } from '../../components/ui';
import { isOwner, useSession } from '../../lib/session';
import { SupportAccess } from './support';
import { ApiTokens } from './tokens';
import { DeviceLogins } from './device-logins';

/**
 * Who else may reach the hub: support sessions and device logins for the MQTT broker (owner
 * only, as the server decides) and API tokens (every member their own; an owner sees
 * everyone's). Its own page, not a Settings tab, because tokens are for every member and
 * Settings is the owner's; device logins sit here with the other secrets shown once.
 */
export function AccessPage() {
  const { me } = useSession();
  return (
    <>
      <PageHead title="Access" />
      <div class="stack">
        {isOwner(me.role) ? <SupportAccess /> : null}
        {isOwner(me.role) ? <DeviceLogins /> : null}
        <ApiTokens />
      </div>
    </>
  );
}
