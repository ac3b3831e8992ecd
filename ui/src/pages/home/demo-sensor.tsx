import { useState } from 'preact/hooks';
import { post } from '../../api/client';
import type { Entity } from '../../api/types';
import { ErrorNote } from '../../components/ui';
import { isOwner, useSession } from '../../lib/session';

/** The demo sensors a newcomer can set by hand (POST /demo/sensors/:id), with the words for each way. */
const SENSORS: Record<string, [on: string, off: string]> = {
  'binary_sensor.demo_back_door': ['Open the door (simulated)', 'Close the door (simulated)'],
  'binary_sensor.demo_hallway_motion': ['Simulate motion', 'Clear the motion'],
  'binary_sensor.demo_kitchen_leak': ['Simulate a leak', 'Dry it up'],
};

/** On a demo sensor's card: a button that flips the simulated hardware, to watch an alert fire. */
export function DemoSensorControl({ entity }: { entity: Entity }) {
  const { me } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const words = SENSORS[entity.id];
  if (!words || !(isOwner(me.role) || me.role === 'adult')) return null;
  const on = entity.state === 'on';
  async function flip() {
    setBusy(true);
    setError(undefined);
    try {
      await post(`/demo/sensors/${encodeURIComponent(entity.id)}`, { on: !on });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button type="button" class="demo-sim" onClick={() => void flip()} disabled={busy} aria-busy={busy}>
        {on ? words[1] : words[0]}
      </button>
      <ErrorNote error={error} />
    </>
  );
}
