// Connecting an AWS account from the dashboard: the template form's rules, the plain deploy
// instructions per delivery mode, and the Verify checks as `sesami doctor` runs them — in order,
// stopping at the first failure with what exactly failed and what to do.
import type { ApiError } from '../../lib/types';
import type {
  AwsMode,
  AwsSettings,
  EventDestinationCheck,
  TemplateInput,
  VerifyStsResult,
} from './settings.api';

export interface TemplateForm {
  mode: AwsMode;
  identities: string; // comma or space separated, up to 5
  sesamiAccountId: string; // empty: the server's (SESAMI_AWS_ACCOUNT_ID), else left to fill in
  ingestUrl: string; // api-destination
  eventBusArn: string; // event-bus
}
export type TemplateErrors = Partial<Record<keyof TemplateForm, string>>;

// The templates' own AllowedPatterns (deploy/templates), so a typo is named here, not mid-deploy.
const ACCOUNT = /^[0-9]{12}$/;
const IDENTITY = /^[^\s,*]+$/;
const INGEST_URL = /^https:\/\/[^\s/]+(\/[^\s]*)?\/ingest\/eventbridge\/[A-Za-z0-9_-]+$/;
const BUS_ARN = /^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus\/[A-Za-z0-9._/-]+$/;

export function splitIdentities(text: string): string[] {
  const seen = new Set<string>();
  for (const part of text.split(/[\s,;]+/)) if (part) seen.add(part);
  return [...seen];
}

export function checkTemplateForm(
  f: TemplateForm,
): { ok: true; input: TemplateInput } | { ok: false; errors: TemplateErrors } {
  const errors: TemplateErrors = {};
  const identities = splitIdentities(f.identities);
  if (identities.length > 5)
    errors.identities = 'At most 5: the template has 5 sending identity slots.';
  else if (identities.some((i) => !IDENTITY.test(i)))
    errors.identities = 'Domains or addresses verified in SES, no wildcards.';
  const account = f.sesamiAccountId.trim();
  if (account && !ACCOUNT.test(account)) errors.sesamiAccountId = 'A 12-digit AWS account id.';
  const ingestUrl = f.ingestUrl.trim();
  if (f.mode === 'api-destination' && ingestUrl && !INGEST_URL.test(ingestUrl))
    errors.ingestUrl = 'https://<your SESami>/ingest/eventbridge/<ingest token>';
  const bus = f.eventBusArn.trim();
  if (f.mode === 'event-bus' && bus && !BUS_ARN.test(bus))
    errors.eventBusArn = 'arn:aws:events:<region>:<SESami account>:event-bus/<name>';
  if (Object.keys(errors).length) return { ok: false, errors };
  const input: TemplateInput = { mode: f.mode, identities };
  if (account) input.sesamiAccountId = account;
  if (f.mode === 'api-destination' && ingestUrl) input.ingestUrl = ingestUrl;
  if (f.mode === 'event-bus' && bus) input.eventBusArn = bus;
  return { ok: true, input };
}

/// The API destination's URL for this SESami and a (just rotated) ingest token. Only https URLs
/// pass the template's pattern: behind plain http, the field is left for the person to fill.
export function ingestUrlFor(origin: string, token: string | null): string {
  if (!token || !origin.startsWith('https://')) return '';
  return `${origin.replace(/\/$/, '')}/ingest/eventbridge/${token}`;
}

/// Console steps for uploading the file, then what to do with the stack's outputs.
export function deploySteps(mode: AwsMode, fileName: string): string[] {
  const steps = [
    'Open the AWS console in the region you send from, then CloudFormation → Create stack → With new resources.',
    `Upload a template file → choose ${fileName} (the values below are already filled in as defaults).`,
    'Name the stack (sesami), check the parameters, tick "I acknowledge that AWS CloudFormation might create IAM resources", Submit.',
  ];
  if (mode === 'api-destination')
    steps.push(
      "Enter IngestSecret: the workspace's ingest secret, shown once when the ingest token was created or rotated (Ingestion endpoints below). CloudFormation never shows it back.",
    );
  steps.push(
    mode === 'sqs'
      ? 'When the stack is complete, copy its outputs RoleArn, Region, ConfigurationSet and QueueUrl into the form above, choose "SQS queue", Save.'
      : 'When the stack is complete, copy its outputs RoleArn, Region and ConfigurationSet into the form above, Save.',
  );
  if (mode === 'api-destination')
    steps.push(
      'Add your AWS account id under "Source accounts": events from other accounts are refused.',
    );
  steps.push('Press Verify: it checks each step and names the first one that fails.');
  return steps;
}

// ---- Verify, step by step (the checks of `sesami doctor`) ----------------------------------------

export type StepStatus = 'ok' | 'warn' | 'fail' | 'skip';
export interface VerifyStep {
  name: string;
  status: StepStatus;
  detail: string;
  code?: string;
}

export const STEP = {
  saved: 'AWS connection saved',
  role: 'Role assumable with the External ID',
  account: 'SES production access and sending enabled',
  configurationSet: 'Configuration set present',
  eventDestination: 'Event destination publishes what SESami needs',
  send: 'Test send to success@simulator.amazonses.com',
  events: 'Send and Delivery events arrive',
} as const;

/// Which step a /verify-sts error stops at; the server checks AssumeRole, GetAccount, then
/// GetConfigurationSet, and its error code says which one refused.
export function stepOfError(code: string): string {
  if (
    [
      'aws.assume_role_denied',
      'aws.own_credentials_expired',
      'aws.own_credentials_invalid',
      'aws.no_credentials',
      'aws.invalid_role',
      'aws.not_connected',
    ].includes(code)
  )
    return STEP.role;
  if (code === 'aws.ses_permission') return STEP.account;
  if (code === 'aws.wrong_region') return STEP.configurationSet;
  return STEP.role;
}

/// Steps 1-4 from the saved settings and /verify-sts's answer, up to the first failure (then
/// `done` is true: nothing after it is worth running).
export function connectionSteps(
  s: AwsSettings,
  v: { ok: true; value: VerifyStsResult } | { ok: false; error: ApiError } | null,
  fixHint: (e: ApiError) => string,
): { steps: VerifyStep[]; failed: boolean } {
  const steps: VerifyStep[] = [];
  const fail = (name: string, detail: string, code?: string) => {
    steps.push(code ? { name, status: 'fail', detail, code } : { name, status: 'fail', detail });
    return { steps, failed: true };
  };
  if (!s.connected || (v && !v.ok && v.error.code === 'aws.not_connected')) {
    const hint = v && !v.ok ? fixHint(v.error) : '';
    return fail(
      STEP.saved,
      `This workspace has no AWS connection: deploy the template (above) with External ID ${s.externalId}, then save the stack's outputs (RoleArn, Region, ConfigurationSet${s.mode === 'sqs' ? ', QueueUrl' : ''}).${hint ? `\n${hint}` : ''}`,
      v && !v.ok ? v.error.code : 'aws.not_connected',
    );
  }
  steps.push({
    name: STEP.saved,
    status: 'ok',
    detail: `${s.roleArn} in ${s.region}, events by ${s.mode ?? 'no delivery mode'}`,
  });
  if (!v) return { steps, failed: false };
  if (!v.ok) {
    const hint = fixHint(v.error);
    const name = stepOfError(v.error.code);
    // The steps before the failing one passed (the server got that far).
    if (name === STEP.account || name === STEP.configurationSet)
      steps.push({ name: STEP.role, status: 'ok', detail: 'assumed' });
    if (name === STEP.configurationSet)
      steps.push({ name: STEP.account, status: 'ok', detail: 'readable' });
    return fail(
      name,
      `${v.error.message} (${v.error.code})${hint ? `\n${hint}` : ''}`,
      v.error.code,
    );
  }
  const a = v.value;
  steps.push({ name: STEP.role, status: 'ok', detail: `assumed ${a.assumedRoleArn}` });
  if (!a.sendingEnabled)
    return fail(
      STEP.account,
      `Sending is paused for this SES account in ${a.region}: SES refuses every send until it is re-enabled (SES console → Account dashboard says why).`,
    );
  if (!a.productionAccess)
    return fail(
      STEP.account,
      `The SES account in ${a.region} is in the sandbox: it may only send to verified addresses. Request production access (SES console → Account dashboard).`,
    );
  steps.push({
    name: STEP.account,
    status: 'ok',
    detail: `${a.maxSendRate}/s, ${a.sentLast24Hours} of ${a.max24HourSend < 0 ? 'unlimited' : a.max24HourSend} sent in 24 h`,
  });
  if (s.configurationSet)
    steps.push({
      name: STEP.configurationSet,
      status: 'ok',
      detail: `'${s.configurationSet}' exists in ${a.region}`,
    });
  else
    return fail(
      STEP.configurationSet,
      "No configuration set is saved: save the stack's ConfigurationSet output, or SES publishes no events for SESami's mail.",
    );
  const ed = eventDestinationStep(a.eventDestination, s.configurationSet);
  if (ed.status === 'fail') return fail(ed.name, ed.detail, ed.code);
  steps.push(ed);
  return { steps, failed: false };
}

/// The event-destination step from /verify-sts's verdict (the one `sesami doctor` gives): the
/// server's message, then the fix in the SES console naming the missing event types.
export function eventDestinationStep(
  v: EventDestinationCheck | null | undefined,
  set: string,
): VerifyStep {
  const name = STEP.eventDestination;
  if (!v)
    return {
      name,
      status: 'skip',
      detail:
        'This server does not check the event destination: run `sesami doctor`, or upgrade the server.',
    };
  const dest = v.name ?? 'sesami-eventbridge';
  const where = `SES console → Configuration sets → ${set} → Event destinations → ${dest}`;
  let fix = '';
  switch (v.code) {
    case 'aws.event_types_missing':
      fix = `Fix: ${where} → Edit, and tick ${v.missingRequired.join(', ')}${v.missingOptional.length ? ` (and ${v.missingOptional.join(', ')} if you track engagement)` : ''}; or redeploy the stack, which publishes all ten types.`;
      break;
    case 'aws.event_types_optional_missing':
      fix = `To see them: ${where} → Edit, and tick ${v.missingOptional.join(', ')}. Leave it if open/click tracking is off on purpose.`;
      break;
    case 'aws.event_destination_disabled':
      fix = `Fix: ${where} → Enable, or redeploy the stack.`;
      break;
    case 'aws.event_destination_target':
      fix = `Fix: point ${dest} at the default event bus (${v.expected}), or redeploy the stack.`;
      break;
    case 'aws.event_destination_missing':
      fix = `Fix: redeploy the stack (it creates sesami-eventbridge); SESami needs ${v.expected}.`;
      break;
    case 'aws.ses_permission':
      fix =
        "Fix: allow ses:GetConfigurationSetEventDestinations in the role's policy (the current template grants it: redeploy it), then Verify again.";
      break;
  }
  const detail = `${v.message}${v.code ? ` (${v.code})` : ''}${fix ? `\n${fix}` : ''}`;
  const step: VerifyStep = { name, status: v.status, detail };
  if (v.code) step.code = v.code;
  return step;
}

/// Where events stop, per delivery path, when the test mail's events do not come back.
export function missingEventsHint(mode: AwsMode | null, queueUrl: string | null): string {
  if (mode === 'sqs')
    return `SES publishes to the default EventBridge bus, the stack's rule puts the events on the queue, SESami polls it. Is the stack's QueueUrl saved (now: ${queueUrl ?? 'none'})? Look for messages in the stack's dead-letter queue.`;
  if (mode === 'api-destination')
    return "The API destination posts to /ingest/eventbridge/<token>: is IngestUrl this SESami's public address with the current token, IngestSecret the current secret (redeploy after rotating), and the AWS account added under Source accounts?";
  if (mode === 'event-bus')
    return "The stack forwards events to SESami's bus: does the SESami-side stack list this account in ConnectedAccountIds, does SESami poll its queue (serve --event-bus-queue), and does Verify pass? The bus stores an account's events only in workspaces whose role in that account SESami can assume.";
  return 'No delivery mode is saved: choose how events reach SESami and save.';
}

/// Step 6's verdict from the event types seen so far for the test message.
export function eventsVerdict(
  types: readonly string[],
  timedOut: boolean,
  seconds: number,
  mode: AwsMode | null,
  queueUrl: string | null,
): VerifyStep | null {
  const send = types.includes('send'),
    delivery = types.includes('delivery');
  if (send && delivery)
    return { name: STEP.events, status: 'ok', detail: `both within ${seconds.toFixed(1)} s` };
  if (!timedOut) return null;
  if (!send)
    return {
      name: STEP.events,
      status: 'fail',
      detail: `No Send event within ${Math.round(seconds)} s. ${missingEventsHint(mode, queueUrl)}`,
    };
  return {
    name: STEP.events,
    status: 'fail',
    detail: `The Send event arrived but no Delivery within ${Math.round(seconds)} s: the event destination must publish DELIVERY events (redeploy the stack if it was edited).`,
  };
}
