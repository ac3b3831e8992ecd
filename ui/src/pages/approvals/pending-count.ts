import { useEffect, useState } from 'preact/hooks';
import { get } from '../../api/client';
import { useHubEvents } from '../../api/events';
import type { Envelope } from '../../api/types';

/** How many approval requests wait, for the menu badge; refreshed on approval events. */
export function usePendingCount(): number {
  const [n, setN] = useState(0);
  const load = () =>
    void get<{ approvals: Envelope[] }>('/approvals?state=pending&limit=100')
      .then((r) => setN(r.approvals.length))
      .catch(() => setN(0));
  useEffect(load, []);
  useHubEvents((e) => {
    if (e.type.startsWith('approval.')) load();
  });
  return n;
}
