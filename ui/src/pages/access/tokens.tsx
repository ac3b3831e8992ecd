import { useState } from 'preact/hooks';
import { del, post } from '../../api/client';
import type { CreatedToken, CreateTokenBody, TokenInfo, TokenList } from '../../api/types';
import { ErrorNote, Field, Loading, Select } from '../../components/ui';
import { ago, dateTime } from '../../lib/format';
import { useNames } from '../../lib/names';
import { useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { TOKEN_SCOPES } from './scopes';
import { ShownOnce } from './shown-once';

const EXPIRY: Array<[string, string]> = [
  ['', 'Never'],
  ['30', 'In 30 days'],
  ['90', 'In 90 days'],
  ['365', 'In a year'],
];

const stateOf = (t: TokenInfo): 'active' | 'revoked' | 'expired' =>
  t.revoked_at ? 'revoked' : t.expires_at && Date.parse(t.expires_at) <= Date.now() ? 'expired' : 'active';

/** Scoped API tokens for scripts and other systems: yours (an owner sees everyone's); the secret once. */
export function ApiTokens() {
  const { me } = useSession();
  const list = useApi<TokenList>('/tokens');
  const names = useNames();
  const [error, setError] = useState<unknown>();
  const [created, setCreated] = useState<CreatedToken>();
  const tokens = [...(list.data?.tokens ?? [])].sort((a, b) => Number(stateOf(a) !== 'active') - Number(stateOf(b) !== 'active'));

  async function revoke(t: TokenInfo) {
    if (!confirm(`Revoke the token “${t.name}”? Whatever uses it stops working at once.`)) return;
    setError(undefined);
    try {
      await del(`/tokens/${encodeURIComponent(t.id)}`);
      if (created?.id === t.id) setCreated(undefined);
      await list.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section class="card access" aria-labelledby="tokens-title" id="tokens">
      <h2 id="tokens-title">API tokens</h2>
      <p class="muted">
        For a script or another system: it sends <code>Authorization: Bearer …</code> and may do only what the token’s scopes and your role allow.
      </p>
      <TokenForm
        onCreated={(t) => {
          setCreated(t);
          void list.reload();
        }}
      />
      {created ? <Secret token={created} onDone={() => setCreated(undefined)} /> : null}
      <ErrorNote error={list.error ?? error} />
      {!list.data && !list.error ? <Loading /> : null}
      {list.data && tokens.length === 0 ? <p class="muted">No tokens yet.</p> : null}
      <ul class="history tokens" aria-live="polite">
        {tokens.map((t) => {
          const state = stateOf(t);
          return (
            <li key={t.id} class="card compact" data-token={t.id}>
              <div class="row spread">
                <strong class="wrap">{t.name}</strong>
                <span class={`tag ${state === 'active' ? 'ok' : `state-${state}`}`}>{state}</span>
              </div>
              <p class="muted small">
                {t.member_id !== me.id ? `${names.member(t.member_id)} · ` : ''}
                Scopes <code>{t.scopes.join(' ')}</code> · made {dateTime(t.created_at)} · {t.last_used_at ? `last used ${ago(t.last_used_at)}` : 'never used'}
                {t.revoked_at
                  ? ` · revoked ${dateTime(t.revoked_at)}`
                  : t.expires_at
                    ? ` · ${state === 'expired' ? 'expired' : 'expires'} ${dateTime(t.expires_at)}`
                    : ' · does not expire'}
              </p>
              {state === 'active' ? (
                <button type="button" class="danger" onClick={() => void revoke(t)} aria-label={`Revoke the token ${t.name}`}>
                  Revoke
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function TokenForm({ onCreated }: { onCreated: (t: CreatedToken) => void }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [other, setOther] = useState('');
  const [days, setDays] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function create(e: Event) {
    e.preventDefault();
    setError(undefined);
    const all = [...scopes, ...other.split(/[\s,]+/).filter(Boolean)];
    if (all.length === 0) return setError(new Error('Pick at least one scope: what may this token do?'));
    setBusy(true);
    try {
      const body: CreateTokenBody = { name, scopes: all, ...(days ? { expires_in_days: Number(days) } : {}) };
      onCreated(await post<CreatedToken>('/tokens', body));
      setName('');
      setScopes([]);
      setOther('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={create}>
      <h3>Make a token</h3>
      <Field label="Token name" value={name} onValue={setName} required maxLength={80} hint="What uses it, such as “garage script”." />
      <fieldset>
        <legend>What it may do</legend>
        <div class="checks">
          {TOKEN_SCOPES.map(([s, words]) => (
            <label key={s} class="check">
              <input
                type="checkbox"
                value={s}
                checked={scopes.includes(s)}
                onChange={(e) => setScopes((e.target as HTMLInputElement).checked ? [...scopes, s] : scopes.filter((x) => x !== s))}
              />
              <span>
                {words} <code class="small">{s}</code>
              </span>
            </label>
          ))}
        </div>
        <Field
          label="Other scopes (optional)"
          value={other}
          onValue={setOther}
          autocomplete="off"
          hint="Separated by spaces, such as audit:* or entities:write."
        />
      </fieldset>
      <Select label="Expires" value={days} onValue={setDays} options={EXPIRY} />
      <ErrorNote error={error} />
      <button type="submit" class="primary" disabled={busy}>
        Make the token
      </button>
    </form>
  );
}

/** The secret, this once. */
function Secret({ token, onDone }: { token: CreatedToken; onDone: () => void }) {
  return (
    <ShownOnce
      id="new-token"
      label={`Your new token “${token.name}”`}
      value={token.token}
      hint="Copy it now: it will not be shown again. The hub keeps only a hash of it."
      onDone={onDone}
    />
  );
}
