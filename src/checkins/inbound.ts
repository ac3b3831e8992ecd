import type { HubContext } from '../part/context.js';
import type { HookHandler } from '../channels/twilio/hooks.js';
import { EMPTY_TWIML, HOOKS_PREFIX } from '../channels/twilio/hooks.js';
import type { TwilioPhone } from '../channels/twilio/phone.js';
import { ask, sayAndHangUp } from '../channels/twilio/twiml.js';
import type { MemberDirectory } from '../notify/model.js';
import type { NotificationRouter } from '../notify/router.js';
import type { CheckinEngine } from './engine.js';
import { classify } from './model.js';
import { escalationLadder, memberByPhone } from './people.js';

/**
 * Calls to the Twilio number (its voice URL: <public_url>/hooks/twilio/inbound). An elder's
 * number hears "press 1 to tell the family you're fine, 2 for help"; anyone else a polite
 * refusal, audited. Its status callback (<public_url>/hooks/twilio/inbound/status) counts the
 * elder's minutes.
 */
export function inboundHook(
  ctx: HubContext,
  deps: { engine: CheckinEngine; phone: TwilioPhone; members: MemberDirectory; router: NotificationRouter },
): HookHandler {
  return ([step], p) => {
    const from = p.From ?? '';
    const member = memberByPhone(deps.members, from);
    if (step === 'status') {
      // The number's "call status changes" callback: an elder's call in costs minutes too, counted
      // to them like a check-in call (inside the webhook's replay transaction: once).
      if (member) deps.phone.countMinutes(member.id, p);
      return { twiml: EMPTY_TWIML };
    }
    if (!member || member.role !== 'elder') {
      ctx.audit.append({
        actor: 'system',
        origin: 'system',
        kind: 'twilio.inbound_refused',
        subject: from.slice(0, 32) || 'unknown',
        data: { call: p.CallSid },
      });
      return { twiml: sayAndHangUp(['Hello. This number only takes calls from people in the household. Goodbye.']) };
    }
    if (step !== 'gather') {
      return {
        twiml: ask(
          [`Hello ${member.display_name}, this is Hearth.`, "Press 1 to tell the family you're fine, or 2 if you need help."],
          deps.phone.url(`${HOOKS_PREFIX}/inbound/gather`),
        ),
      };
    }
    const meaning = classify({ digits: p.Digits, speech: p.SpeechResult });
    ctx.audit.append({ actor: member.id, origin: 'system', kind: 'checkin.inbound', subject: member.id, data: { call: p.CallSid, meaning } });
    if (meaning === 'ok') {
      deps.engine.allClear(member, 'called to say they are fine');
      return { twiml: sayAndHangUp(["Thank you. I've told the family you're fine. Goodbye."]) };
    }
    if (meaning === 'help') {
      const checkin = deps.engine.store.list(member.id)[0];
      deps.router.notify({
        kind: 'checkin.help',
        severity: 'urgent',
        text: `${member.display_name} called Hearth and asked for help. Please call ${member.display_name} now.`,
        subject: `checkin-inbound:${p.CallSid ?? member.id}`,
        escalate: true,
        ...(checkin ? { ladder: escalationLadder(checkin.escalate_to) } : {}),
        actions: [{ kind: 'ack', label: `I'll call ${member.display_name}`.slice(0, 40) }],
      });
      return { twiml: sayAndHangUp(["I'm telling your family right now. Someone will call you very soon."]) };
    }
    return { twiml: sayAndHangUp(["Sorry, I didn't catch that. Please call again. Goodbye."]) };
  };
}
