import { useState } from 'preact/hooks';
import { patch } from '../../api/client';
import type { Settings } from '../../api/types';
import { ErrorNote } from '../../components/ui';
import { isDemo, listOf, type EntityList } from '../../lib/devices';
import { useApi } from '../../lib/use-api';
import { DemoSwitch } from '../settings/demo-switch';

/**
 * In the wizard: the demo home on or off. Once a real source brings devices, it says so and
 * offers to turn the demo off.
 */
export function DemoChoice({ settings }: { settings: Settings }) {
  const [on, setOn] = useState(settings.hub.demo);
  const [error, setError] = useState<unknown>();
  const entities = useApi<EntityList>('/entities');
  const real = listOf(entities.data).filter((e) => !isDemo(e)).length;
  async function set(v: boolean) {
    setError(undefined);
    try {
      await patch('/settings', { hub: { demo: v } });
      setOn(v);
    } catch (err) {
      setError(err);
    }
  }
  return (
    <div class="card demo-choice">
      <h3>The demo home</h3>
      {on && real > 0 ? (
        <p class="notice" role="status">
          Your own devices are here ({real === 1 ? '1 device' : `${real} devices`}). The demo home is still on.{' '}
          <button type="button" onClick={() => void set(false)}>
            Turn the demo off
          </button>
        </p>
      ) : null}
      <DemoSwitch value={on} onValue={(v) => void set(v)} />
      <ErrorNote error={error} />
    </div>
  );
}
