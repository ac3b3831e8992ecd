/** The demo home on or off; it takes effect at once when saved (hub.demo is live). */
export function DemoSwitch({ value, onValue }: { value: boolean; onValue: (v: boolean) => void }) {
  return (
    <div class="field">
      <label class="check">
        <input type="checkbox" checked={value} onChange={(e) => onValue((e.target as HTMLInputElement).checked)} aria-describedby="demo-hint" /> Show the demo
        home
      </label>
      <small id="demo-hint" class="hint">
        A simulated house (marked “Demo”) to try Hearth without hardware. It never takes the place of your real devices; turn it off once yours are connected.
      </small>
    </div>
  );
}
