import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as netConnect } from 'node:net';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { brokerOf, logsWith } from './helpers.js';

/**
 * MQTT 3.1.1 conformance of the LAN broker with the hub's hooks and packet guard in place, over a
 * raw TCP socket (mqtt.js would refuse to send most of these). Each case sends a CONNECT, the
 * packet under test, then a PINGREQ: the broker either closes the connection or answers the
 * PINGREQ, so no case waits on a timer.
 */
let t: TestHub;
beforeAll(async () => {
  t = await startTestHub({ settings: { mqtt: { port: 0, allow_anonymous: true } } });
});
afterAll(() => t.stop());

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const str = (s: string | Buffer) => {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return Buffer.concat([u16(b.length), b]);
};
function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}
const packet = (first: number, ...body: Buffer[]) => {
  const b = Buffer.concat(body);
  return Buffer.concat([Buffer.from([first]), varint(b.length), b]);
};

interface ConnectOptions {
  clientId?: string;
  clean?: boolean;
  level?: number;
  reservedFlag?: boolean;
  will?: { topic: string; qos?: number };
  willQosWithoutWill?: number;
  username?: string;
  password?: string;
}
function connectPacket(o: ConnectOptions = {}): Buffer {
  let flags = 0;
  if (o.clean ?? true) flags |= 0x02;
  if (o.reservedFlag) flags |= 0x01;
  if (o.will) flags |= 0x04 | ((o.will.qos ?? 0) << 3);
  if (o.willQosWithoutWill) flags |= o.willQosWithoutWill << 3;
  if (o.username !== undefined) flags |= 0x80;
  if (o.password !== undefined) flags |= 0x40;
  const payload = [str(o.clientId ?? 'conformance')];
  if (o.will) payload.push(str(o.will.topic), str('gone'));
  if (o.username !== undefined) payload.push(str(o.username));
  if (o.password !== undefined) payload.push(str(o.password));
  return packet(0x10, str('MQTT'), Buffer.from([o.level ?? 4, flags]), u16(30), ...payload);
}
const publish = (topic: string | Buffer, first = 0x30) => packet(first, str(topic), Buffer.from('x'));
const publishQos1 = (topic: string) => packet(0x32, str(topic), u16(1), Buffer.from('x'));
const subscribe = (...filters: [string, number][]) => packet(0x82, u16(1), ...filters.map(([f, q]) => Buffer.concat([str(f), Buffer.from([q])])));
const PINGREQ = Buffer.from([0xc0, 0x00]);

interface Outcome {
  /** CONNACK return code, if one came. */
  connack: number | null;
  /** Whether the broker answered the final PINGREQ (the connection stayed up). */
  alive: boolean;
  /** SUBACK return codes, if one came. */
  suback: number[] | null;
}

/** Sends the packets then a PINGREQ; resolves on PINGRESP (and SUBACK, after a SUBSCRIBE), or on close. */
function exchange(port: number, packets: Buffer[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = { connack: null, alive: false, suback: null };
    const subscribing = packets.some((p) => p[0] === 0x82);
    let buf = Buffer.alloc(0);
    const sock = netConnect(port, '127.0.0.1', () => sock.write(Buffer.concat([...packets, PINGREQ])));
    const done = () => {
      sock.destroy();
      resolve(out);
    };
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf[1]!; // every answer here is short (one length byte)
        if (buf.length < 2 + len) break;
        const type = buf[0]! >> 4;
        const body = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        if (type === 2) out.connack = body[1]!;
        if (type === 9) out.suback = [...body.subarray(2)];
        if (type === 13) out.alive = true;
        if (out.alive && (!subscribing || out.suback)) return done();
      }
    });
    sock.on('close', done);
    sock.on('error', () => {});
  });
}

const CONNECT = connectPacket();
const accepted = (o: Partial<Outcome> = {}): Partial<Outcome> => ({ connack: 0, alive: true, ...o });
const refusedAtConnect = (code: number): Partial<Outcome> => ({ connack: code, alive: false });
/** Closed without a CONNACK (a malformed CONNECT), or, with no argument, at any point after it. */
const dropped = (connack?: null): Partial<Outcome> => (connack === null ? { connack: null, alive: false } : { alive: false });

const CASES: { rule: string; what: string; packets: Buffer[]; expect: Partial<Outcome> }[] = [
  {
    rule: 'MQTT-3.1.3-8',
    what: 'zero-length client id with clean session off → CONNACK 0x02',
    packets: [connectPacket({ clientId: '', clean: false })],
    expect: refusedAtConnect(2),
  },
  { rule: 'MQTT-3.1.3-6', what: 'zero-length client id with clean session on → accepted', packets: [connectPacket({ clientId: '' })], expect: accepted() },
  {
    rule: 'MQTT-3.1.3-5',
    what: 'a 40-character client id → accepted (longer than 23 is allowed)',
    packets: [connectPacket({ clientId: 'c'.repeat(40) })],
    expect: accepted(),
  },
  { rule: 'MQTT-3.1.2-2', what: 'protocol level 7 → CONNACK 0x01', packets: [connectPacket({ level: 7 })], expect: refusedAtConnect(1) },
  { rule: 'MQTT-3.1.2-3', what: 'reserved CONNECT flag set → disconnect', packets: [connectPacket({ reservedFlag: true })], expect: dropped(null) },
  { rule: 'MQTT-3.1.2-13', what: 'will QoS without the will flag → disconnect', packets: [connectPacket({ willQosWithoutWill: 1 })], expect: dropped(null) },
  { rule: 'MQTT-3.1.2-14', what: 'will QoS 3 → disconnect', packets: [connectPacket({ will: { topic: 'w/t', qos: 3 } })], expect: dropped(null) },
  { rule: 'MQTT-3.1.2-22', what: 'password without user name → disconnect', packets: [connectPacket({ password: 'x' })], expect: dropped(null) },
  { rule: 'MQTT-4.7.3-1', what: 'will topic with a wildcard → refused', packets: [connectPacket({ will: { topic: 'w/#' } })], expect: dropped(null) },
  {
    rule: 'hub',
    what: 'will topic reserved for the hub → refused (CONNACK 0x05)',
    packets: [connectPacket({ will: { topic: 'hearth/demo/front_door/set' } })],
    expect: refusedAtConnect(5),
  },
  { rule: 'MQTT-3.1.0-1', what: 'a packet before CONNECT → disconnect', packets: [publish('a/b')], expect: dropped(null) },
  { rule: 'MQTT-3.1.0-2', what: 'a second CONNECT → disconnect', packets: [CONNECT, CONNECT], expect: dropped() },
  { rule: 'MQTT-3.3.2-2', what: 'PUBLISH to a topic with + → disconnect', packets: [CONNECT, publish('a/+/b')], expect: dropped() },
  { rule: 'MQTT-3.3.2-2', what: 'PUBLISH to a topic with # → disconnect', packets: [CONNECT, publish('a/#')], expect: dropped() },
  { rule: 'MQTT-4.7.3-1', what: 'PUBLISH to a zero-length topic → disconnect', packets: [CONNECT, publish('')], expect: dropped() },
  { rule: 'MQTT-3.3.1-2', what: 'PUBLISH QoS 0 with DUP set → disconnect', packets: [CONNECT, publish('a/b', 0x38)], expect: dropped() },
  { rule: 'MQTT-3.3.1-4', what: 'PUBLISH with QoS 3 (before CONNACK is read) → disconnect', packets: [CONNECT, publish('a/b', 0x36)], expect: dropped() },
  { rule: 'hub', what: 'PUBLISH QoS 1 into $SYS → disconnect', packets: [CONNECT, publishQos1('$SYS/x')], expect: dropped() },
  { rule: 'MQTT-3.8.3-3', what: 'SUBSCRIBE with no topic filter → disconnect', packets: [CONNECT, packet(0x82, u16(1))], expect: dropped() },
  { rule: 'MQTT-3.8.3-4', what: 'SUBSCRIBE asking QoS 3 → disconnect', packets: [CONNECT, subscribe(['a/b', 3])], expect: dropped() },
  {
    rule: 'MQTT-3.8.1-1',
    what: 'SUBSCRIBE with wrong fixed-header flags → disconnect',
    packets: [CONNECT, packet(0x80, u16(1), str('a/b'), Buffer.from([0]))],
    expect: dropped(),
  },
  { rule: 'MQTT-3.10.3-2', what: 'UNSUBSCRIBE with no topic filter → disconnect', packets: [CONNECT, packet(0xa2, u16(1))], expect: dropped() },
  { rule: 'MQTT-4.7.1-2', what: 'SUBSCRIBE to a malformed filter (a/b#) → disconnect', packets: [CONNECT, subscribe(['a/b#', 0])], expect: dropped() },
  {
    rule: 'hub',
    what: 'SUBSCRIBE to hearth/# → refused (SUBACK 0x80), connection kept',
    packets: [CONNECT, subscribe(['hearth/#', 0])],
    expect: accepted({ suback: [0x80] }),
  },
  { rule: 'MQTT-3.8.4-5', what: 'SUBSCRIBE to a valid filter → granted', packets: [CONNECT, subscribe(['a/+/c', 1])], expect: accepted({ suback: [1] }) },
];

describe("LAN broker: MQTT 3.1.1 conformance with the hub's hooks", () => {
  it.each(CASES)('[$rule] $what', async ({ packets, expect: want }) => {
    expect(await exchange(brokerOf(t).port, packets)).toMatchObject(want);
  });

  it('says why a zero-length client id was refused', async () => {
    await exchange(brokerOf(t).port, [connectPacket({ clientId: '', clean: false })]);
    expect(logsWith(t, 'client id').length).toBeGreaterThan(0);
  });
});
