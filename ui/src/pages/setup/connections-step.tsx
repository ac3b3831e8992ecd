import type { Settings } from '../../api/types';
import { ConnectionsEditor } from '../settings/connections';
import { markSkipped } from './wizard';
import { DemoChoice } from './demo-choice';

/** Step 3: what the home already has. Every connection is optional. */
export function ConnectionsStep({ settings, onDone }: { settings: Settings; onDone: () => void }) {
  return (
    <section>
      <h2>Connect what your home has</h2>
      <p>All optional: Hearth works on its own, and you can add these later under Settings.</p>
      <ConnectionsEditor settings={settings} />
      <DemoChoice settings={settings} />
      <div class="row">
        <button
          type="button"
          class="primary"
          onClick={() => {
            markSkipped('connections');
            onDone();
          }}
        >
          Continue
        </button>
      </div>
    </section>
  );
}
