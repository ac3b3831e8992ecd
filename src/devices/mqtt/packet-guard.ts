import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { isUtf8 } from 'node:buffer';

export type Refusal =
  | { reason: 'packet_too_large'; bytes: number }
  | { reason: 'malformed_length' }
  | { reason: 'too_many_topic_levels'; topic: string; levels: number }
  | { reason: 'invalid_utf8_topic'; topic: string }
  | { reason: 'malformed_packet'; rule: string }
  | { reason: 'unacceptable_protocol_level'; level: number };

export interface PacketGuardOptions {
  maxPacketBytes: number;
  maxTopicLevels: number;
  /** Called once, before the connection is destroyed. `client` is aedes' client if it has one. */
  onRefuse: (refusal: Refusal, clientId: string | null) => void;
}

const enum S {
  Header,
  Length,
  TopicLength,
  Topic,
  Skip,
  ConnectHead,
}

/** CONNECT's variable header up to its protocol level: name length (2), "MQTT" or "MQIsdp", level. */
const CONNECT_HEAD_MAX = 9;
/** Protocol levels aedes speaks (3.1, 3.1.1) or answers itself (5: CONNACK 0x01). */
const KNOWN_LEVELS = new Set([3, 4, 5]);

/**
 * Sits between the raw socket and aedes. It reads each MQTT fixed header as bytes arrive and
 * refuses a packet whose remaining length exceeds the limit *before* any of its body reaches
 * aedes, which would otherwise buffer it whole (aedes has no size option). It also reads the
 * topic of each PUBLISH to refuse invalid UTF-8 ([MQTT-1.5.3-1]: close the connection) and
 * topics deeper than the limit, naming the topic in the refusal.
 */
export class PacketGuard extends Duplex {
  private state = S.Header;
  private type = 0;
  private flags = 0;
  private connectHead: number[] = [];
  private remaining = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private topicLength = 0;
  private topicLenBytes: number[] = [];
  private topicParts: Buffer[] = [];
  private topicCollected = 0;
  private refused = false;
  /** aedes sets this on the stream it handles. */
  client?: { id: string | null };

  constructor(
    readonly socket: Socket,
    private readonly options: PacketGuardOptions,
  ) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => {
      if (this.refused) return;
      if (!this.scan(chunk)) return;
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
    socket.on('drain', () => this.emit('drain'));
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.socket.destroyed) return done(new Error('connection closed'));
    // Mirror the socket's back-pressure: done() once the socket accepted it.
    if (this.socket.write(chunk)) done();
    else this.socket.once('drain', () => done());
  }

  override _writev(chunks: { chunk: Buffer }[], done: (err?: Error | null) => void): void {
    this._write(Buffer.concat(chunks.map((c) => c.chunk)), 'binary', done);
  }

  override _final(done: () => void): void {
    this.socket.end(done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    if (!this.socket.destroyed) this.socket.destroy();
    done(err);
  }

  private refuse(refusal: Refusal): false {
    this.refused = true;
    try {
      this.options.onRefuse(refusal, this.client?.id ?? null);
    } finally {
      this.socket.destroy();
      this.destroy();
    }
    return false;
  }

  /** Walks the chunk through the fixed-header state machine; false when the connection was refused. */
  private scan(chunk: Buffer): boolean {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case S.Header:
          this.flags = chunk[i]! & 0x0f;
          this.type = chunk[i++]! >> 4;
          this.remaining = 0;
          this.multiplier = 1;
          this.lengthBytes = 0;
          this.state = S.Length;
          break;
        case S.Length: {
          const b = chunk[i++]!;
          this.remaining += (b & 0x7f) * this.multiplier;
          this.multiplier *= 128;
          this.lengthBytes++;
          if (b & 0x80) {
            if (this.lengthBytes >= 4) return this.refuse({ reason: 'malformed_length' });
            break;
          }
          if (this.remaining > this.options.maxPacketBytes) return this.refuse({ reason: 'packet_too_large', bytes: this.remaining });
          // What mqtt-packet lets through although MQTT 3.1.1 says to close the connection.
          if (this.type === 3 && (this.flags & 0x06) === 0 && this.flags & 0x08)
            return this.refuse({ reason: 'malformed_packet', rule: 'MQTT-3.3.1-2: PUBLISH with QoS 0 must not set DUP' });
          if (this.type === 10 && this.remaining <= 2)
            return this.refuse({ reason: 'malformed_packet', rule: 'MQTT-3.10.3-2: UNSUBSCRIBE without a topic filter' });
          if (this.type === 1 && this.remaining > 0) {
            this.state = S.ConnectHead;
            this.connectHead = [];
          } else if (this.type === 3 && this.remaining >= 2) {
            this.state = S.TopicLength;
            this.topicLenBytes = [];
          } else {
            this.state = this.remaining > 0 ? S.Skip : S.Header;
          }
          break;
        }
        case S.TopicLength:
          this.topicLenBytes.push(chunk[i++]!);
          this.remaining--;
          if (this.topicLenBytes.length === 2) {
            this.topicLength = (this.topicLenBytes[0]! << 8) | this.topicLenBytes[1]!;
            this.topicParts = [];
            this.topicCollected = 0;
            if (this.topicLength > this.remaining) this.topicLength = this.remaining; // malformed; mqtt-packet will say so
            this.state = this.topicLength > 0 ? S.Topic : this.remaining > 0 ? S.Skip : S.Header;
          }
          break;
        case S.Topic: {
          const take = Math.min(this.topicLength - this.topicCollected, n - i);
          this.topicParts.push(chunk.subarray(i, i + take));
          this.topicCollected += take;
          this.remaining -= take;
          i += take;
          if (this.topicCollected === this.topicLength) {
            if (!this.checkTopic(Buffer.concat(this.topicParts))) return false;
            this.topicParts = [];
            this.state = this.remaining > 0 ? S.Skip : S.Header;
          }
          break;
        }
        case S.ConnectHead: {
          this.connectHead.push(chunk[i++]!);
          this.remaining--;
          if (this.connectHead.length === CONNECT_HEAD_MAX || this.remaining === 0) {
            if (!this.checkConnect()) return false;
            this.state = this.remaining > 0 ? S.Skip : S.Header;
          }
          break;
        }
        case S.Skip: {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = S.Header;
          break;
        }
      }
    }
    return true;
  }

  /**
   * [MQTT-3.1.2-2]: a protocol level the broker does not speak gets CONNACK 0x01, then the
   * connection is closed. mqtt-packet would close it without a CONNACK.
   */
  private checkConnect(): boolean {
    const head = Buffer.from(this.connectHead);
    if (head.length < 3) return true; // malformed; mqtt-packet will say so
    const nameLength = head.readUInt16BE(0);
    const name = head.subarray(2, 2 + nameLength).toString('latin1');
    const level = head[2 + nameLength];
    if ((name !== 'MQTT' && name !== 'MQIsdp') || level === undefined || KNOWN_LEVELS.has(level)) return true;
    this.refused = true;
    this.options.onRefuse({ reason: 'unacceptable_protocol_level', level }, null);
    // Ends the socket after the CONNACK is written; its 'close' then destroys this stream.
    this.socket.end(Buffer.from([0x20, 0x02, 0x00, 0x01]));
    return false;
  }

  private checkTopic(raw: Buffer): boolean {
    if (!isUtf8(raw) || raw.includes(0)) {
      return this.refuse({ reason: 'invalid_utf8_topic', topic: raw.toString('utf8').slice(0, 200) });
    }
    let levels = 1;
    for (const b of raw) if (b === 0x2f) levels++;
    if (levels > this.options.maxTopicLevels) {
      return this.refuse({ reason: 'too_many_topic_levels', topic: raw.toString('utf8').slice(0, 200), levels });
    }
    return true;
  }
}
