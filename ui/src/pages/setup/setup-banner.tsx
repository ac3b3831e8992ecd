import { useEffect, useState } from 'preact/hooks';
import type { Me } from '../../api/types';
import { useSession } from '../../lib/session';
import { progress } from './wizard';

/** On Home, for an owner who left the first run half-way: where to pick it up. */
export function SetupBanner() {
  const { me } = useSession();
  const [left, setLeft] = useState<string[]>([]);
  useEffect(() => {
    if (me.role !== 'owner') return;
    void progress({ member: me } as Me)
      .then((p) =>
        setLeft(
          Object.entries(p.done)
            .filter(([, done]) => !done)
            .map(([step]) => step),
        ),
      )
      .catch(() => setLeft([]));
  }, [me.id]);
  if (left.length === 0) return null;
  return (
    <p class="notice info">
      Setting up is not finished ({left.join(', ')} to go). <a href="/setup">Continue setting up</a>
    </p>
  );
}
