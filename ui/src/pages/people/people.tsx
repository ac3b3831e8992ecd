import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { del, post } from '../../api/client';
import type { MemberList, MemberView, PairingCode, TelegramBot } from '../../api/types';
import { ErrorNote, Forbidden, Loading, PageHead } from '../../components/ui';
import { QrCode } from '../../components/qr-code';
import { clock, roleWords, timeLeft } from '../../lib/format';
import { useSession } from '../../lib/session';
import { useApi, useTick } from '../../lib/use-api';
import { MemberForm } from './member-form';
import { NotificationPrefs } from './notification-prefs';
import { Checkins } from './checkins';

type Row = MemberList['members'][number];
const full = (m: Row): m is MemberView => 'has_pin' in m;

/** Members and roles; the owner adds, edits and removes people and makes Telegram pairing codes. */
export function PeoplePage() {
  const { me } = useSession();
  const list = useApi<MemberList>('/members');
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const owner = me.role === 'owner';

  async function remove(m: Row) {
    if (!confirm(`Remove ${m.display_name}? They will no longer be able to sign in or approve.`)) return;
    setError(undefined);
    try {
      await del(`/members/${m.id}`);
      await list.reload();
    } catch (err) {
      setError(err);
    }
  }

  if (list.error?.status === 403) return <Forbidden error={list.error} />;
  return (
    <>
      <PageHead title="People">
        {owner && !adding ? (
          <button type="button" class="primary" onClick={() => setAdding(true)}>
            Add a person
          </button>
        ) : null}
      </PageHead>
      <ErrorNote error={list.error ?? error} />
      {adding ? (
        <MemberForm
          onDone={() => {
            setAdding(false);
            void list.reload();
          }}
          onCancel={() => setAdding(false)}
        />
      ) : null}
      {!list.data ? <Loading /> : null}
      <ul class="people" aria-live="polite">
        {list.data?.members.map((m) => (
          <li key={m.id} class="card person">
            {editing === m.id && full(m) ? (
              <MemberForm
                member={m}
                onDone={() => {
                  setEditing(null);
                  void list.reload();
                }}
                onCancel={() => setEditing(null)}
              />
            ) : (
              <>
                <div class="person-head">
                  <span class="avatar" aria-hidden="true">
                    {m.display_name.charAt(0).toUpperCase()}
                  </span>
                  <div>
                    <h2 class="h3">{m.display_name}</h2>
                    <p class="muted">
                      @{m.username} · <span class={`tag role-${m.role}`}>{roleWords[m.role]}</span>
                      {full(m) && m.disabled ? <span class="tag bad">disabled</span> : null}
                    </p>
                  </div>
                </div>
                {full(m) ? (
                  <dl class="facts">
                    <dt>Phone</dt>
                    <dd>{m.phone ?? '—'}</dd>
                    <dt>PIN</dt>
                    <dd>{m.has_pin ? 'set' : 'not set'}</dd>
                    <dt>Telegram</dt>
                    <dd>{m.telegram_user_id ? 'linked' : 'not linked'}</dd>
                  </dl>
                ) : null}
                {owner || m.id === me.id ? <Lazy summary="Notifications">{() => <NotificationPrefs memberId={m.id} name={m.display_name} />}</Lazy> : null}
                {m.role === 'elder' && (owner || me.role === 'adult') ? (
                  <Lazy summary="Check-ins">{() => <Checkins elder={m} members={list.data?.members ?? []} />}</Lazy>
                ) : null}
                {owner && full(m) ? (
                  <div class="row">
                    <button type="button" onClick={() => setEditing(m.id)} aria-label={`Edit ${m.display_name}`}>
                      Edit
                    </button>
                    <Pairing member={m} />
                    {m.id !== me.id ? (
                      <button type="button" class="danger" onClick={() => void remove(m)} aria-label={`Remove ${m.display_name}`}>
                        Remove
                      </button>
                    ) : null}
                  </div>
                ) : null}
              </>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

/** A one-time code the member sends to the hub's Telegram bot: a t.me link (and its QR code), and the code as text. */
function Pairing({ member }: { member: MemberView }) {
  const [code, setCode] = useState<PairingCode>();
  const [error, setError] = useState<unknown>();
  const bot = useApi<TelegramBot>('/telegram/bot');
  const now = useTick();
  async function make() {
    setError(undefined);
    try {
      setCode(await post<PairingCode>(`/members/${member.id}/pairing-code`));
    } catch (err) {
      setError(err);
    }
  }
  if (bot.data && !bot.data.configured)
    return (
      <p class="muted small" data-testid="pairing-off">
        Telegram pairing needs the home's own bot first: in Telegram, open @BotFather, send /newbot, and paste the token it gives you under{' '}
        <a href="/settings?tab=connections">Settings → Connections</a>.
      </p>
    );
  const link = code && bot.data?.username ? `${bot.data.link}?start=${code.code}` : null;
  return (
    <>
      <button type="button" onClick={() => void make()} disabled={!bot.data} aria-label={`Telegram pairing code for ${member.display_name}`}>
        {code ? 'New pairing code' : 'Pair Telegram'}
      </button>
      <ErrorNote error={error} />
      {code ? (
        <div class="pairing" aria-live="polite">
          <QrCode text={link ?? code.code} label={link ? `QR code of the link ${link}` : `QR code of the pairing code ${code.code}`} />
          <div>
            {link ? (
              <p>
                {member.display_name} scans this with their phone, or opens{' '}
                <a href={link} target="_blank" rel="noopener noreferrer" data-testid="pairing-link">
                  {link}
                </a>
                , and taps Start in the chat with @{bot.data!.username}. Or sends the code there:
              </p>
            ) : (
              <p>{member.display_name} sends this code to the home's Telegram bot (its name is unknown right now: the hub cannot reach Telegram):</p>
            )}
            <p class="code-text">{code.code}</p>
            <p class="muted">
              Works once, until {clock(code.expires_at)} ({timeLeft(code.expires_at, now)}).
            </p>
          </div>
        </div>
      ) : null}
    </>
  );
}

/** A <details> whose content is made (and fetches) only once opened. */
function Lazy({ summary, children }: { summary: string; children: () => ComponentChildren }) {
  const [open, setOpen] = useState(false);
  return (
    <details class="lazy" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>{summary}</summary>
      {open ? children() : null}
    </details>
  );
}
