import { EXIT, FatalError } from '../../core/errors.js';
import { EnvelopeStore } from '../../gate/store.js';
import { envelopeStateSchema, type Envelope } from '../../gate/model.js';
import { openStoreForCli } from '../open-store.js';
import { parse, settingsOptions } from '../args.js';

export const approvalsHelp = [
  'hearth approvals list [--state S] [--limit N] [--json] [--data DIR]   approval requests, newest first',
  'hearth approvals show ID [--json] [--data DIR]                        one request with its decisions',
].join('\n');

/** Reads the envelopes straight from the store (beside a running hub: WAL allows it). */
export async function approvalsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, {
    ...settingsOptions,
    state: { type: 'string' },
    limit: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  });
  if (sub !== 'list' && sub !== 'show') throw new FatalError(`unknown approvals command "${sub ?? ''}"\n${approvalsHelp}`, EXIT.usage);
  const state = values.state === undefined ? undefined : envelopeStateSchema.safeParse(values.state);
  if (state && !state.success) throw new FatalError(`--state must be one of ${envelopeStateSchema.options.join(', ')}`, EXIT.usage);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new FatalError('--limit must be a whole number from 1 to 500', EXIT.usage);
  const { store } = openStoreForCli(values);
  try {
    const envelopes = new EnvelopeStore(store.db);
    if (sub === 'list') {
      const list = envelopes.list({ state: state?.data, limit });
      if (values.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      else if (list.length === 0) process.stdout.write('no approval requests\n');
      else for (const e of list) process.stdout.write(`${line(e)}\n`);
      return EXIT.ok;
    }
    const id = positionals[0];
    if (!id) throw new FatalError(`which one? ${approvalsHelp.split('\n')[1]}`, EXIT.usage);
    const found = envelopes.get(id)?.envelope;
    if (!found) {
      process.stderr.write(`hearth: no approval request ${id}\n`);
      return EXIT.dataErr;
    }
    process.stdout.write(values.json ? `${JSON.stringify(found, null, 2)}\n` : details(found));
    return EXIT.ok;
  } finally {
    store.close();
  }
}

function shownState(e: Envelope): string {
  // The hub closes expired requests on its next sweep; say so if it has not yet.
  return e.state === 'pending' && Date.parse(e.expires_at) <= Date.now() ? 'pending (expired)' : e.state;
}

function line(e: Envelope): string {
  return [
    e.id,
    e.created_at,
    shownState(e).padEnd(11),
    e.risk.padEnd(8),
    `${e.action.operation} ${e.action.entity_id}`,
    `by ${e.origin.member_id ?? 'system'} via ${e.origin.channel}`,
  ].join('  ');
}

function details(e: Envelope): string {
  const out = [
    `approval  ${e.id}`,
    `action    ${e.action.operation} ${e.action.entity_id}${Object.keys(e.action.params).length ? ` ${JSON.stringify(e.action.params)}` : ''}`,
    `state     ${shownState(e)}${e.outcome ? ` (${e.outcome.code ? `${e.outcome.code}: ` : ''}${e.outcome.message})` : ''}`,
    `risk      ${e.risk}`,
    `asked by  ${e.origin.member_id ?? 'system'} via ${e.origin.channel}${e.reason ? `: "${e.reason}"` : ''}`,
    `policy    ${e.policy.quorum} of ${e.policy.approver_roles.join('/')}${e.policy.exclude_requester ? ', not the requester' : ''}${e.policy.step_up ? ', PIN on web/api' : ''}`,
    `created   ${e.created_at}`,
    `expires   ${e.expires_at}`,
    `digest    ${e.digest}`,
    'decisions',
    ...(e.decisions.length ? e.decisions.map((d) => `  ${d.at}  ${d.decision.padEnd(7)} ${d.member_id} via ${d.channel}`) : ['  none']),
  ];
  return `${out.join('\n')}\n`;
}
