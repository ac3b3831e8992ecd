import { describe, expect, it } from 'vitest';
import { parseWorkflow, WorkflowInvalid } from '../../src/workflows/parse.js';

const porch = `name: Porch light when the back door opens at night
mode: single
triggers:
  - state: binary_sensor.back_door
    to: "on"
    for: 2s
  - cron: "30 6 * * 1-5"
  - numeric: sensor.living_room_temperature
    below: 17
  - mqtt: zigbee2mqtt/button_1/action
    payload: single
  - event: checkin.missed
  - sun: sunset
  - manual: true
conditions:
  - time: {after: "21:00", before: "06:00"}
  - state: alarm_control_panel.home_alarm
    is: armed_away
  - expr: "states.sensor.outdoor_temperature < 3"
steps:
  - action: {entity_id: light.porch, operation: turn_on}
  - wait: 10m
  - notify: {to: [owner], text: "The porch light is on", urgency: normal}
  - ask: {to: [owner], text: "Close the garage?", choices: [yes, no], timeout: 10m, save_as: answer}
  - if: {expr: "answer == 'yes'"}
    then: [{action: {entity_id: cover.garage_door, operation: close_cover}}]
  - action: {entity_id: light.porch, operation: turn_off}
`;

function problem(source: string) {
  try {
    parseWorkflow(source);
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowInvalid);
    return (err as WorkflowInvalid).problems[0]!;
  }
  throw new Error('expected WORKFLOW_INVALID');
}

describe('workflow definitions', () => {
  it("reads DESIGN's example whole", () => {
    const wf = parseWorkflow(porch);
    expect(wf.triggers).toHaveLength(7);
    expect(wf.triggers[0]).toEqual({ state: 'binary_sensor.back_door', to: 'on', for: 2000 });
    expect(wf.steps[1]).toEqual({ wait: 600_000 });
    // YAML reads yes/no as strings in 1.2; on as "on" only when quoted, and we turn true into "on".
    expect(wf.steps[3]).toMatchObject({ ask: { choices: ['yes', 'no'], timeout: 600_000, save_as: 'answer' } });
  });

  it('names the line and what is wrong', () => {
    const bad = porch.replace('  - wait: 10m', '  - wait: ten minutes');
    const p = problem(bad);
    expect(p.line).toBe(22);
    expect(p.message).toMatch(/not a duration/);
    expect(problem(porch.replace('operation: turn_off', 'operation: Turn Off')).line).toBe(27);
    expect(problem(porch.replace('  - manual: true', '  - manaul: true'))).toMatchObject({
      line: 14,
      message: expect.stringMatching(/"manaul" is not a trigger/),
    });
    expect(problem(porch.replace('"states.sensor.outdoor_temperature < 3"', '"states.sensor.x <"'))).toMatchObject({
      line: 19,
      message: expect.stringMatching(/expression/),
    });
    expect(problem('name: x\ntriggers: [{manual: true}]\nsteps:\n  - wait: 1s\n   - bad')).toMatchObject({ line: expect.any(Number) });
    expect(problem('name: x\nsteps: []\ntriggers: [{manual: true}]')).toMatchObject({ line: 2, path: 'steps' });
    expect(problem('- a list')).toMatchObject({ line: 1 });
  });

  it('refuses a billion laughs and oversized sources', () => {
    const laughs = [
      'a: &a [x,x,x,x,x,x,x,x,x,x]',
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
      ),
    ].join('\n');
    expect(() => parseWorkflow(laughs)).toThrow(WorkflowInvalid);
    expect(() => parseWorkflow(`name: x\n# ${'y'.repeat(70_000)}`)).toThrow(/at most 64 KiB/);
  });
});

describe('built-in packs', () => {
  it('each pack parses, and goodnight never unlocks', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { PACKS_DIR } = await import('../../src/workflows/service.js');
    const files = readdirSync(PACKS_DIR).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBe(6);
    for (const f of files) expect(() => parseWorkflow(readFileSync(`${PACKS_DIR}/${f}`, 'utf8')), f).not.toThrow();
    const goodnight = readFileSync(`${PACKS_DIR}/goodnight.yaml`, 'utf8');
    expect(goodnight).not.toMatch(/operation: (unlock|open|open_cover|alarm_disarm)\b/);
    // The packs name no demo device: they select by kind, so they work in any home.
    for (const f of files) expect(readFileSync(`${PACKS_DIR}/${f}`, 'utf8'), f).not.toMatch(/\.demo_/);
  });
});

describe('selections', () => {
  it('reads a selection where an entity id may stand', () => {
    const wf = parseWorkflow(`name: s
triggers:
  - state: {domain: binary_sensor, device_class: door}
    to: "on"
conditions:
  - state: {domain: cover, device_class: [garage, gate]}
    is: open
steps:
  - action: {target: {domain: light, area: Kitchen}, operation: turn_off}
  - action: {entity_id: light.porch, operation: turn_on}
`);
    expect(wf.triggers[0]).toEqual({ state: { domain: 'binary_sensor', device_class: ['door'] }, to: 'on' });
    expect(wf.conditions[0]).toEqual({ state: { domain: 'cover', device_class: ['garage', 'gate'] }, is: 'open' });
    expect(wf.steps[0]).toEqual({ action: { target: { domain: 'light', area: ['Kitchen'] }, operation: 'turn_off', params: {} } });
    expect(wf.steps[1]).toEqual({ action: { entity_id: 'light.porch', operation: 'turn_on', params: {} } });
  });

  it('names the line of a bad selection', () => {
    const src = (target: string) => `name: s\ntriggers: [{manual: true}]\nsteps:\n  - wait: 1s\n  - action: {target: ${target}, operation: lock}\n`;
    expect(problem(src('{domain: door_lock}'))).toMatchObject({ line: 5 });
    expect(problem(src('{domain: lock, colour: red}')).line).toBe(5);
    expect(problem(src('lock.front')).line).toBe(5);
    expect(problem('name: s\ntriggers:\n  - state: {device_class: door}\n    to: "on"\nsteps: [{wait: 1s}]\n').line).toBe(3);
    expect(problem('name: s\ntriggers:\n  - state: Front Door\nsteps: [{wait: 1s}]\n').message).toMatch(/entity id such as light.porch, or a selection/);
  });
});
