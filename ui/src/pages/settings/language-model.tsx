import { useState } from 'preact/hooks';
import { patch, post } from '../../api/client';
import type { Settings } from '../../api/types';
import { ErrorNote, Loading, StatusDot } from '../../components/ui';
import { useApi } from '../../lib/use-api';
import { useNames } from '../../lib/names';

type Provider = 'local' | 'remote';
interface InferenceStatus {
  order: Provider[];
  local: { state: string; model_path: string | null; size_bytes: number | null; error: string | null };
  providers: Record<string, { status: string; detail: string }>;
}
interface TryResult {
  intents: { kind: string; entity_ids?: string[]; operation?: string; params?: Record<string, unknown>; question?: string; reason?: string }[];
  confidence: number;
  provider: string | null;
}
interface UsageRow {
  member_id: string;
  kind: string;
  used: number;
  reserved: number;
  cap: number | null;
  refused: number;
}

const STATE_WORDS: Record<string, string> = {
  not_loaded: 'not loaded yet (it loads on first use)',
  loading: 'loading',
  ready: 'ready',
  unloaded: 'unloaded (it loads again when needed)',
  failed: 'could not be loaded',
};
const KIND_WORDS: Record<string, string> = { llm_tokens: 'Language-model tokens', call_minutes: 'Call minutes', sms: 'Text messages' };
const PROVIDER_WORDS: Record<Provider, string> = { local: 'On this hub (the model file)', remote: 'A server on your network or the internet' };

function sentence(i: TryResult['intents'][number], entity: (id: string) => string): string {
  if (i.kind === 'command')
    return `${i.operation?.replace(/_/g, ' ')} ${i.entity_ids?.map(entity).join(', ')}${
      i.params && Object.keys(i.params).length
        ? ` (${Object.entries(i.params)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')})`
        : ''
    }`;
  if (i.kind === 'question') return `a question about ${i.entity_ids?.map(entity).join(', ')}`;
  if (i.kind === 'clarify') return `a question back: ${i.question}`;
  return i.reason ?? 'nothing it could read';
}

/** Settings → Language model: the file and its state, the order of providers, a "try it" box, and usage. */
export function LanguageModel({ settings, onSaved }: { settings: Settings; onSaved: () => void }) {
  const status = useApi<InferenceStatus>('/inference');
  const [order, setOrder] = useState<Provider[]>(settings.llm.order);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState('');
  const [text, setText] = useState('');
  const [tried, setTried] = useState<TryResult>();
  const [trying, setTrying] = useState(false);

  async function saveOrder(next: Provider[]) {
    setOrder(next);
    setError(undefined);
    try {
      await patch('/settings', { llm: { order: next } });
      setSaved(next.includes('remote') ? 'Saved. Text the rules cannot read may now be sent to the remote server.' : 'Saved. Nothing leaves the hub.');
      onSaved();
      void status.reload();
    } catch (err) {
      setError(err);
    }
  }
  async function tryIt(e: Event) {
    e.preventDefault();
    setTrying(true);
    setError(undefined);
    try {
      setTried(await post<TryResult>('/inference/try', { text }));
    } catch (err) {
      setError(err);
    } finally {
      setTrying(false);
      void status.reload();
    }
  }
  const s = status.data;
  const names = useNames();
  return (
    <>
      <section class="card" aria-labelledby="llm-title">
        <h2 id="llm-title">Language model</h2>
        <p class="muted">
          It reads what the usual commands do not understand and proposes an action; the action still needs the same permissions and approvals as a tap here.
        </p>
        {!s ? (
          <Loading />
        ) : (
          <dl>
            <dt>Model file</dt>
            <dd>
              {s.local.model_path
                ? `${s.local.model_path}${s.local.size_bytes ? ` (${Math.round(s.local.size_bytes / 1024 / 1024)} MB)` : ' (file missing)'}`
                : 'none — get one with hearth model pull'}
            </dd>
            <dt>State</dt>
            <dd>
              {STATE_WORDS[s.local.state] ?? s.local.state}
              {s.local.error ? <span class="muted"> — {s.local.error}</span> : null}
            </dd>
            {Object.entries(s.providers).map(([name, p]) => (
              <>
                <dt>{PROVIDER_WORDS[name as Provider] ?? name}</dt>
                <dd>
                  <StatusDot status={p.status} /> {p.detail}
                </dd>
              </>
            ))}
          </dl>
        )}
        <fieldset>
          <legend>Ask, in this order</legend>
          {(['local', 'remote'] as Provider[]).map((p) => (
            <label key={p} class="row">
              <input
                type="checkbox"
                checked={order.includes(p)}
                onChange={(e) => void saveOrder((e.target as HTMLInputElement).checked ? [...order, p] : order.filter((x) => x !== p))}
              />
              {order.includes(p) ? `${order.indexOf(p) + 1}. ` : ''}
              {PROVIDER_WORDS[p]}
            </label>
          ))}
          {order.length === 2 ? (
            <button type="button" onClick={() => void saveOrder([...order].reverse())}>
              Swap the order
            </button>
          ) : null}
        </fieldset>
        <div aria-live="polite">{saved ? <p class="result ok">{saved}</p> : null}</div>
        <form onSubmit={tryIt}>
          <label for="llm-try">Try it (nothing is done)</label>
          <div class="row">
            <input
              id="llm-try"
              value={text}
              maxLength={300}
              onInput={(e) => setText((e.target as HTMLInputElement).value)}
              placeholder="the entrance, make it secure, we're heading out"
            />
            <button type="submit" disabled={!text.trim() || trying}>
              {trying ? 'Reading…' : 'Read it'}
            </button>
          </div>
        </form>
        {tried ? (
          <div aria-live="polite" class="result">
            {tried.intents.length === 0 ? (
              <p>It could not read that{tried.provider ? '' : ' (no model answered)'}.</p>
            ) : (
              <ul>
                {tried.intents.map((i, n) => (
                  <li key={n}>{sentence(i, names.entity)}</li>
                ))}
              </ul>
            )}
            <p class="muted">
              Confidence {Math.round(tried.confidence * 100)} %{tried.provider ? `, answered by ${tried.provider}` : ''}
            </p>
          </div>
        ) : null}
        <ErrorNote error={error ?? status.error} />
      </section>
      <UsageCard />
    </>
  );
}

/** This month's usage per member and kind, against the caps. */
export function UsageCard() {
  const res = useApi<{ month: string; usage: UsageRow[] }>('/usage');
  const names = useNames();
  return (
    <section class="card" aria-labelledby="usage-title">
      <h2 id="usage-title">Usage this month{res.data ? ` (${res.data.month})` : ''}</h2>
      {!res.data ? (
        <Loading />
      ) : res.data.usage.length === 0 ? (
        <p class="muted">Nothing used yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Used</th>
              <th scope="col">Allowance</th>
            </tr>
          </thead>
          <tbody>
            {res.data.usage.map((u) => (
              <tr key={`${u.member_id}-${u.kind}`}>
                <td>{u.member_id === 'system' ? 'The hub (summaries)' : names.member(u.member_id)}</td>
                <td>{KIND_WORDS[u.kind] ?? u.kind}</td>
                <td>
                  {u.used}
                  {u.reserved ? ` (+${u.reserved} in progress)` : ''}
                </td>
                <td>
                  {u.cap === null ? 'no limit' : `${Math.round((u.used / Math.max(1, u.cap)) * 100)} % of ${u.cap}`}
                  {u.refused ? `, ${u.refused} refused` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorNote error={res.error} />
    </section>
  );
}
