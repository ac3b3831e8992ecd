import { createHmac } from 'node:crypto';
import { safeEqual } from '../../core/ids.js';

/**
 * Inline-button data: `a:<approval id>:<y|n>:<mac>`, `n:<notification id>:<button>:<mac>`
 * or `c:<dialogue choice id>:0:<mac>`, at most 64 bytes (Telegram's limit). The MAC
 * (HMAC-SHA256, 60 bits) proves the hub made the button; it does not prove who pressed it,
 * which is checked against the binding.
 */
export type CallbackData =
  | { kind: 'approval'; approval_id: string; decision: 'approve' | 'deny' }
  | { kind: 'notification'; notification_id: string; index: number }
  | { kind: 'choice'; choice_id: string };

const ID = /^[A-Za-z0-9_-]{1,40}$/;

export class CallbackSigner {
  constructor(private readonly key: string) {}

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url').slice(0, 10);
  }

  sign(data: CallbackData): string | undefined {
    const body =
      data.kind === 'approval'
        ? `a:${data.approval_id}:${data.decision === 'approve' ? 'y' : 'n'}`
        : data.kind === 'choice'
          ? `c:${data.choice_id}:0`
          : `n:${data.notification_id}:${data.index}`;
    const id = data.kind === 'approval' ? data.approval_id : data.kind === 'choice' ? data.choice_id : data.notification_id;
    if (!ID.test(id)) return undefined;
    const out = `${body}:${this.mac(body)}`;
    return Buffer.byteLength(out) <= 64 ? out : undefined;
  }

  /** undefined for anything malformed or not signed by this hub. */
  verify(raw: unknown): CallbackData | undefined {
    if (typeof raw !== 'string' || raw.length > 64) return undefined;
    const m = /^([anc]):([A-Za-z0-9_-]{1,40}):([yn]|\d{1,2}):([A-Za-z0-9_-]{10})$/.exec(raw);
    if (!m) return undefined;
    const body = `${m[1]}:${m[2]}:${m[3]}`;
    if (!safeEqual(this.mac(body), m[4]!)) return undefined;
    if (m[1] === 'a') {
      if (m[3] !== 'y' && m[3] !== 'n') return undefined;
      return { kind: 'approval', approval_id: m[2]!, decision: m[3] === 'y' ? 'approve' : 'deny' };
    }
    if (!/^\d+$/.test(m[3]!)) return undefined;
    if (m[1] === 'c') return { kind: 'choice', choice_id: m[2]! };
    return { kind: 'notification', notification_id: m[2]!, index: Number(m[3]) };
  }
}
