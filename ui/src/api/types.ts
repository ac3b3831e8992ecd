// API shapes, taken from the server's own zod schemas and types (type-only imports: they
// vanish from the bundle, and zod with them). Never restate an API shape by hand here.
export type { Entity, Domain } from '../../../src/devices/model';
export type { Role, Principal, MemberView, MemberSummary } from '../../../src/members/model';
export type { AuditEntry, Origin } from '../../../src/audit/entry';
export type { VerifyResult } from '../../../src/audit/trail';
export type { HealthReport } from '../../../src/http/system-routes';
export type { ComponentHealth, HealthStatus } from '../../../src/core/lifecycle';
export type { Settings, SettingsInput } from '../../../src/config/schema';
export type { ErrorBody } from '../../../src/http/error-handler';

import type { z } from 'zod';
import type * as M from '../../../src/members/schemas';
export type SetupBody = z.infer<typeof M.setupBodySchema>;
export type SetupState = z.infer<typeof M.setupStateSchema>;
export type LoginBody = z.infer<typeof M.loginBodySchema>;
export type Me = z.infer<typeof M.meSchema>;
export type SignedIn = z.infer<typeof M.signedInSchema>;
export type CreateMemberBody = z.infer<typeof M.createMemberBodySchema>;
export type UpdateMemberBody = z.infer<typeof M.updateMemberBodySchema>;
export type MemberList = z.infer<typeof M.memberListSchema>;
export type PairingCode = z.infer<typeof M.pairingCodeSchema>;

export type { PolicySettings, Risk, RoleRule, ApprovalRule, WindowRule } from '../../../src/config/sections/policy';
export type { ConnectionKind, TestConnectionResult } from '../../../src/config/test-connection';

import type * as G from '../../../src/gate/model';
export type Envelope = G.Envelope;
export type EnvelopeState = G.EnvelopeState;
export type GateOutcome = G.GateOutcome;
export type Decision = G.Decision;
// Event payloads: the bus's own types (the parts add theirs by declaration merging).
export type { HubEvents } from '../../../src/core/bus';
/** 202 from a route whose hub change waits for the requester's PIN or a second person. */
export type { PendingChange } from '../../../src/core/hub-changes';
import type {} from '../../../src/gate/gate';
import type {} from '../../../src/devices/registry';
export type { HealthHistory } from '../../../src/health/history';
import type * as L from '../../../src/health/logbook';
export type LogPage = z.infer<typeof L.logPageSchema>;

import type * as N from '../../../src/notify/model';
export type Preferences = N.Preferences;
export type PreferencesInput = z.input<typeof N.preferencesSchema>;

// API tokens (members/schemas) and support sessions (link/support).
export type CreateTokenBody = z.infer<typeof M.createTokenBodySchema>;
export type CreatedToken = z.infer<typeof M.createdTokenSchema>;
export type TokenInfo = z.infer<typeof M.tokenInfoSchema>;
export type TokenList = z.infer<typeof M.tokenListSchema>;
import type * as S from '../../../src/link/support';
export type SupportScope = S.SupportScope;
export type SupportGrant = S.Grant;
/** The body of POST /support/sessions: the service's own input type (the route's schema is not exported). */
export type GrantSupportBody = Parameters<S.SupportGrants['create']>[0];
/** GET /support/sessions answers what `list()` returns, under `sessions`. */
export type SupportSessionList = { sessions: ReturnType<S.SupportGrants['list']> };

// Device logins for the LAN broker (devices/credentials). The POST body's schema is inline in the
// route, so it is built from the exported username schema; the 201 adds the password, once.
import type * as D from '../../../src/devices/credentials';
export type DeviceCredential = D.DeviceCredential;
export type DeviceCredentialList = { credentials: D.DeviceCredential[] };
export type CreateDeviceLoginBody = { username: z.infer<typeof D.usernameSchema>; description?: string };
export type CreatedDeviceLogin = D.DeviceCredential & { password: string };

import type * as TG from '../../../src/channels/telegram/webhook';
export type TelegramBot = z.infer<typeof TG.telegramBotSchema>;

import type * as B from '../../../src/backups/routes';
export type BackupsStatus = z.infer<typeof B.backupsStatusSchema>;

import type * as Dlg from '../../../src/dialogue/model';
export type SayBody = Dlg.SayBody;
export type SayReply = z.infer<typeof Dlg.dialogueReplySchema>;
export type { CheckinView, AttemptView } from '../../../src/checkins/model';

import type * as PP from '../../../src/gate/preview';
export type PolicyPreviewBody = PP.PolicyPreviewBody;
export type PolicyPreview = PP.PolicyPreview;
export type PolicyForm = PP.PolicyForm;
