// Workspace administration: the AWS connection (role, region, External ID) and its check,
// ingestion token, connected AWS accounts, API keys and users. Secrets (keys, tokens) are shown
// once, when created.
import { json } from '../../lib/api';
import type { Result } from '../../lib/types';
import type { Role } from '../auth/auth.api';

export type AwsMode = 'sqs' | 'api-destination' | 'event-bus';
/// GET /settings/aws. The External ID is generated once per workspace by the server.
export interface AwsSettings {
  connected: boolean;
  roleArn: string | null;
  region: string | null;
  externalId: string;
  configurationSet: string | null;
  queueUrl: string | null;
  mode: AwsMode | null;
}
export interface AwsSettingsInput {
  roleArn: string;
  region: string;
  configurationSet?: string;
  queueUrl?: string;
  mode?: AwsMode;
}
/// GET /verify-sts, when STS and SES answered.
export interface VerifyStsResult {
  ok: true;
  accountId: string;
  region: string;
  assumedRoleArn: string;
  productionAccess: boolean;
  sendingEnabled: boolean;
  maxSendRate: number;
  max24HourSend: number;
  sentLast24Hours: number;
  credentialsExpireAt: string;
  /// ok, and the event destination (when judged) does not fail. Absent from servers before it.
  ready?: boolean;
  /// The configuration set's event destinations as `sesami doctor` judges them; null without a
  /// configuration set, absent from servers before the check.
  eventDestination?: EventDestinationCheck | null;
}
/// GET /verify-sts's eventDestination (server/aws/event_destinations.hpp).
export interface EventDestinationCheck {
  status: 'ok' | 'warn' | 'fail';
  code: string | null;
  name: string | null;
  kind: string | null;
  targetArn: string | null;
  enabled: boolean;
  expected: string;
  missingRequired: string[];
  missingOptional: string[];
  message: string;
}
/// POST /settings/aws/template: what the form gives; the server adds the External ID.
export interface TemplateInput {
  mode: AwsMode;
  identities: string[];
  sesamiAccountId?: string;
  ingestUrl?: string;
  eventBusArn?: string;
}
/// The template with the workspace's values filled in (the same bytes `sesami connect` writes).
export interface FilledTemplate {
  mode: AwsMode;
  fileName: string;
  externalId: string;
  parameters: Record<string, string>;
  missing: string[]; // parameters still to give (placeholders in the command)
  command: string; // aws cloudformation deploy ...
  template: string; // the file's text
}
/// retentionDays: raw events older than this many days are deleted (null: kept forever; older
/// servers said 0).
export interface WorkspaceInfo {
  id: string;
  name: string;
  role: Role;
  retentionDays: number | null;
  createdAt: string;
}
/// What a key may touch within its role: send (the send routes), read (GET routes), admin (all).
export type KeyScope = 'send' | 'read' | 'admin';
export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  scope: KeyScope;
  accessKeyId: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
/// POST /api-keys: the bearer key and the SigV4 pair (for the SES API), each shown once.
export interface NewApiKey {
  id: string;
  key: string;
  role: Role;
  scope: KeyScope;
  expiresAt: string | null;
  accessKeyId: string | null;
  secretAccessKey: string | null;
}
/// A member ("active") or a pending invitation ("invited", id "inv_…").
export interface User {
  id: string;
  email: string | null;
  role: Role;
  status: 'active' | 'invited';
  expiresAt?: string;
}
/// POST /users: the same answer for every email; the token is shown once and goes in the link.
export interface Invitation {
  status: 'invited';
  invitation: User;
  token: string;
}

export const verifySts = () => json<VerifyStsResult>('GET', '/verify-sts');
export const fetchAwsTemplate = (t: TemplateInput) =>
  json<FilledTemplate>('POST', '/settings/aws/template', { body: t });
export const fetchAwsSettings = () => json<AwsSettings>('GET', '/settings/aws');
export const saveAwsSettings = (s: AwsSettingsInput) =>
  json<AwsSettings>('PUT', '/settings/aws', { body: s });
export const disconnectAws = (): Promise<Result<void>> => json<void>('DELETE', '/settings/aws');
export const fetchWorkspace = () => json<WorkspaceInfo>('GET', '/workspace');
/// PATCH /workspace (admin): 1..3650 days, or null to keep raw events forever.
export const MAX_RETENTION_DAYS = 3650;
export const setRetention = (retentionDays: number | null) =>
  json<WorkspaceInfo>('PATCH', '/workspace', { body: { retentionDays } });
/// The workspace's ingestion token and secret (readable again by admins; sealed at rest) and until
/// when the pair the last rotation replaced keeps working (null: none).
export interface IngestCredentials {
  ingestToken: string;
  ingestSecret: string;
  rotatedAt?: string;
  previousValidUntil?: string | null;
}
export const ingestCredentials = () => json<IngestCredentials>('GET', '/workspace/ingest-token');
export const rotateIngest = () => json<IngestCredentials>('POST', '/workspace/ingest-token');
export const fetchAwsAccounts = () =>
  json<{ accounts: string[] }>('GET', '/workspace/aws-accounts');
export const connectAwsAccount = (accountId: string) =>
  json<{ accountId: string }>('POST', '/workspace/aws-accounts', { body: { accountId } });
export const fetchApiKeys = () => json<{ keys: ApiKey[] }>('GET', '/api-keys');
export const createApiKey = (
  name: string,
  role: Role,
  scope: KeyScope = 'admin',
  expiresAt: string | null = null,
) => json<NewApiKey>('POST', '/api-keys', { body: { name, role, scope, expiresAt } });
export const deleteApiKey = (id: string): Promise<Result<void>> =>
  json<void>('DELETE', `/api-keys/${encodeURIComponent(id)}`);
export const fetchUsers = () => json<{ users: User[] }>('GET', '/users');
export const inviteUser = (email: string, role: Role) =>
  json<Invitation>('POST', '/users', { body: { email, role } });
export const removeUser = (id: string): Promise<Result<void>> =>
  json<void>('DELETE', `/users/${encodeURIComponent(id)}`);
export const changeRole = (id: string, role: Role) =>
  json<{ id: string; role: Role }>('PATCH', `/users/${encodeURIComponent(id)}`, { body: { role } });
/// The dashboard page that redeems an invitation token (auth/pages/invite.tsx).
export const invitationLink = (token: string) =>
  `${window.location.origin}${window.location.pathname}#/invite?token=${encodeURIComponent(token)}`;
