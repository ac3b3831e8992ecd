import { useState } from 'preact/hooks';
import { useHubEvents } from '../api/events';
import type { HubEvents } from '../api/types';
import { useSession } from '../lib/session';

type Note = HubEvents['notification.created'];

/** Notifications for this member as they happen (the same ones Telegram or SMS carry). */
export function Toasts() {
  const { me } = useSession();
  const [notes, setNotes] = useState<Note[]>([]);
  useHubEvents(
    (e) => {
      if (e.type !== 'notification.created') return;
      const n = e.data as unknown as Note;
      // Approval requests already have their own live list and menu badge.
      if (!n.member_ids.includes(me.id) || n.kind.startsWith('approval.')) return;
      setNotes((prev) => [n, ...prev.filter((x) => x.id !== n.id)].slice(0, 3));
      if (n.severity !== 'urgent') setTimeout(() => setNotes((prev) => prev.filter((x) => x.id !== n.id)), 15_000);
    },
    [me.id],
  );
  return (
    <div class="toasts" role="log" aria-live="polite" aria-label="Notifications">
      {notes.map((n) => (
        <div key={n.id} class={`toast sev-${n.severity}`}>
          <p>{n.text}</p>
          <button type="button" class="link" onClick={() => setNotes(notes.filter((x) => x.id !== n.id))} aria-label="Dismiss notification">
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}
