import { describe, expect, it } from 'vitest';
import {
  checkTemplateForm,
  connectionSteps,
  deploySteps,
  eventDestinationStep,
  eventsVerdict,
  ingestUrlFor,
  splitIdentities,
  STEP,
  stepOfError,
  type TemplateForm,
} from '../../src/modules/settings/onboarding';
import { awsErrorHint } from '../../src/modules/settings/aws';
import type {
  AwsSettings,
  EventDestinationCheck,
  VerifyStsResult,
} from '../../src/modules/settings/settings.api';
import type { ApiError } from '../../src/lib/types';

const form = (over: Partial<TemplateForm> = {}): TemplateForm => ({
  mode: 'sqs',
  identities: '',
  sesamiAccountId: '',
  ingestUrl: '',
  eventBusArn: '',
  ...over,
});

describe('template form', () => {
  it("sends the identities split and de-duplicated, and only the mode's own fields", () => {
    expect(splitIdentities(' example.com, news@example.org;example.com\nb.example ')).toEqual([
      'example.com',
      'news@example.org',
      'b.example',
    ]);
    expect(
      checkTemplateForm(
        form({
          identities: 'example.com',
          sesamiAccountId: ' 999988887777 ',
          ingestUrl: 'https://x/ingest/eventbridge/t',
        }),
      ),
    ).toEqual({
      ok: true,
      input: { mode: 'sqs', identities: ['example.com'], sesamiAccountId: '999988887777' },
    });
    expect(
      checkTemplateForm(
        form({
          mode: 'api-destination',
          ingestUrl: 'https://sesami.example.com/ingest/eventbridge/abc_DEF-1',
        }),
      ),
    ).toEqual({
      ok: true,
      input: {
        mode: 'api-destination',
        identities: [],
        ingestUrl: 'https://sesami.example.com/ingest/eventbridge/abc_DEF-1',
      },
    });
    expect(
      checkTemplateForm(
        form({
          mode: 'event-bus',
          eventBusArn: 'arn:aws:events:eu-west-1:999988887777:event-bus/sesami-ses-events',
        }),
      ).ok,
    ).toBe(true);
  });

  it("refuses what the template's own patterns refuse, field by field", () => {
    const bad = checkTemplateForm(form({ identities: 'a b c d e f', sesamiAccountId: '1234' }));
    expect(!bad.ok && Object.keys(bad.errors).sort()).toEqual(['identities', 'sesamiAccountId']);
    const wild = checkTemplateForm(form({ identities: '*.example.com' }));
    expect(!wild.ok && wild.errors.identities).toMatch(/no wildcards/);
    for (const ingestUrl of [
      'http://sesami.example.com/ingest/eventbridge/t',
      'https://sesami.example.com/ingest/sns/t',
      'https://x/ingest/eventbridge/a b',
    ]) {
      const c = checkTemplateForm(form({ mode: 'api-destination', ingestUrl }));
      expect(!c.ok && Boolean(c.errors.ingestUrl), ingestUrl).toBe(true);
    }
    const bus = checkTemplateForm(
      form({ mode: 'event-bus', eventBusArn: 'arn:aws:sqs:eu-west-1:999988887777:q' }),
    );
    expect(!bus.ok && Boolean(bus.errors.eventBusArn)).toBe(true);
  });

  it('builds the ingest URL from an https origin and a fresh token only', () => {
    expect(ingestUrlFor('https://sesami.example.com/', 'tok')).toBe(
      'https://sesami.example.com/ingest/eventbridge/tok',
    );
    expect(ingestUrlFor('http://127.0.0.1:8080', 'tok')).toBe('');
    expect(ingestUrlFor('https://sesami.example.com', null)).toBe('');
  });

  it('tells each mode what to save afterwards', () => {
    expect(deploySteps('sqs', 'sesami-sqs.json').join('\n')).toMatch(/QueueUrl/);
    const api = deploySteps('api-destination', 'sesami-api-destination.json').join('\n');
    expect(api).toMatch(/IngestSecret/);
    expect(api).toMatch(/"Source accounts"/);
    expect(api).not.toMatch(/QueueUrl/);
    expect(deploySteps('event-bus', 'f.json')[1]).toMatch(/f\.json/);
  });
});

const settings = (over: Partial<AwsSettings> = {}): AwsSettings => ({
  connected: true,
  roleArn: 'arn:aws:iam::444455556666:role/S',
  region: 'eu-west-1',
  externalId: 'ext-0123456789abcdef',
  configurationSet: 'sesami',
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/444455556666/q',
  mode: 'sqs',
  ...over,
});
const answer = (over: Partial<VerifyStsResult> = {}): { ok: true; value: VerifyStsResult } => ({
  ok: true,
  value: {
    ok: true,
    accountId: '444455556666',
    region: 'eu-west-1',
    assumedRoleArn: 'arn:aws:sts::444455556666:assumed-role/S/x',
    productionAccess: true,
    sendingEnabled: true,
    maxSendRate: 14,
    max24HourSend: 50000,
    sentLast24Hours: 3,
    credentialsExpireAt: '2026-11-29T01:00:00Z',
    ready: true,
    eventDestination: destination(),
    ...over,
  },
});
// The server's verdicts (server/aws/event_destinations.cpp) as /verify-sts sends them.
function destination(over: Partial<EventDestinationCheck> = {}): EventDestinationCheck {
  return {
    status: 'ok',
    code: null,
    name: 'sesami-eventbridge',
    kind: 'event-bridge',
    targetArn: 'arn:aws:events:eu-west-1:444455556666:event-bus/default',
    enabled: true,
    expected: 'an enabled EventBridge destination on the default bus (delivery mode sqs)',
    missingRequired: [],
    missingOptional: [],
    message: "'sesami': destination 'sesami-eventbridge', all ten event types, default bus",
    ...over,
  };
}
const failure = (
  code: string,
  message = 'what the server said',
): { ok: false; error: ApiError } => ({ ok: false, error: { status: 502, code, message } });
const names = (r: { steps: { name: string; status: string }[] }) =>
  r.steps.map((s) => `${s.status} ${s.name}`);

describe('Verify, step by step', () => {
  it('passes every connection step for a healthy answer', () => {
    const r = connectionSteps(settings(), answer(), awsErrorHint);
    expect(r.failed).toBe(false);
    expect(names(r)).toEqual([
      `ok ${STEP.saved}`,
      `ok ${STEP.role}`,
      `ok ${STEP.account}`,
      `ok ${STEP.configurationSet}`,
      `ok ${STEP.eventDestination}`,
    ]);
    expect(r.steps[4].detail).toBe(
      "'sesami': destination 'sesami-eventbridge', all ten event types, default bus",
    );
  });

  it("stops at the first failure with the server's precise message and the fix", () => {
    const denied = connectionSteps(
      settings(),
      failure('aws.assume_role_denied', 'AccessDenied: not authorized to perform sts:AssumeRole'),
      awsErrorHint,
    );
    expect(denied.failed).toBe(true);
    expect(names(denied)).toEqual([`ok ${STEP.saved}`, `fail ${STEP.role}`]);
    const last = denied.steps[denied.steps.length - 1];
    expect(last.detail).toMatch(
      /^AccessDenied: not authorized to perform sts:AssumeRole \(aws.assume_role_denied\)\n/,
    );
    expect(last.detail).toMatch(/trust policy/);
    expect(last.code).toBe('aws.assume_role_denied');

    const region = connectionSteps(
      settings(),
      failure('aws.wrong_region', "The configuration set 'sesami' does not exist in eu-west-1"),
      awsErrorHint,
    );
    expect(names(region)).toEqual([
      `ok ${STEP.saved}`,
      `ok ${STEP.role}`,
      `ok ${STEP.account}`,
      `fail ${STEP.configurationSet}`,
    ]);
    expect(region.steps[3].detail).toMatch(/does not exist in eu-west-1/);
    expect(stepOfError('aws.ses_permission')).toBe(STEP.account);
  });

  it('names the sandbox and paused sending, and a missing configuration set', () => {
    const sandbox = connectionSteps(settings(), answer({ productionAccess: false }), awsErrorHint);
    expect(sandbox.steps[2]).toMatchObject({ name: STEP.account, status: 'fail' });
    expect(sandbox.steps[2].detail).toMatch(/sandbox/);
    const paused = connectionSteps(
      settings(),
      answer({ sendingEnabled: false, productionAccess: false }),
      awsErrorHint,
    );
    expect(paused.steps[2].detail).toMatch(/paused/);
    const noSet = connectionSteps(settings({ configurationSet: null }), answer(), awsErrorHint);
    expect(noSet.failed).toBe(true);
    expect(noSet.steps[3].detail).toMatch(/ConfigurationSet output/);
  });

  it('fails the event destination step naming the missing types, with where to tick them', () => {
    const r = connectionSteps(
      settings(),
      answer({
        ready: false,
        eventDestination: destination({
          status: 'fail',
          code: 'aws.event_types_missing',
          missingRequired: ['BOUNCE', 'COMPLAINT'],
          missingOptional: ['OPEN'],
          message:
            "event destination 'sesami-eventbridge' does not publish BOUNCE, COMPLAINT: SESami never learns those outcomes.",
        }),
      }),
      awsErrorHint,
    );
    expect(r.failed).toBe(true);
    expect(names(r)).toEqual([
      `ok ${STEP.saved}`,
      `ok ${STEP.role}`,
      `ok ${STEP.account}`,
      `ok ${STEP.configurationSet}`,
      `fail ${STEP.eventDestination}`,
    ]);
    const last = r.steps[4];
    expect(last.code).toBe('aws.event_types_missing');
    expect(last.detail).toMatch(
      /^event destination 'sesami-eventbridge' does not publish BOUNCE, COMPLAINT: .* \(aws.event_types_missing\)\n/,
    );
    expect(last.detail).toContain(
      'Fix: SES console → Configuration sets → sesami → Event destinations → sesami-eventbridge → Edit, and tick BOUNCE, COMPLAINT (and OPEN if you track engagement)',
    );
  });

  it('warns about missing OPEN/CLICK without stopping, so the test send still runs', () => {
    const r = connectionSteps(
      settings(),
      answer({
        eventDestination: destination({
          status: 'warn',
          code: 'aws.event_types_optional_missing',
          missingOptional: ['OPEN', 'CLICK'],
          message:
            "event destination 'sesami-eventbridge' does not publish OPEN, CLICK: SESami shows no opens",
        }),
      }),
      awsErrorHint,
    );
    expect(r.failed).toBe(false);
    expect(names(r).at(-1)).toBe(`warn ${STEP.eventDestination}`);
    expect(r.steps.at(-1)?.detail).toMatch(
      /tick OPEN, CLICK\. Leave it if open\/click tracking is off on purpose\.$/,
    );
  });

  it('a disabled destination and a role that may not read it fail with their own fix', () => {
    const off = eventDestinationStep(
      destination({
        status: 'fail',
        code: 'aws.event_destination_disabled',
        enabled: false,
        message: "event destination 'sesami-eventbridge' of configuration set 'sesami' is disabled",
      }),
      'sesami',
    );
    expect(off.status).toBe('fail');
    expect(off.detail).toMatch(
      /is disabled \(aws.event_destination_disabled\)\nFix: SES console → Configuration sets → sesami → Event destinations → sesami-eventbridge → Enable/,
    );
    const denied = connectionSteps(
      settings(),
      answer({
        ready: false,
        eventDestination: destination({
          status: 'fail',
          code: 'aws.ses_permission',
          name: null,
          kind: null,
          targetArn: null,
          enabled: false,
          message: 'the role may not call ses:GetConfigurationSetEventDestinations',
        }),
      }),
      awsErrorHint,
    );
    expect(denied.failed).toBe(true);
    expect(denied.steps.at(-1)).toMatchObject({
      name: STEP.eventDestination,
      status: 'fail',
      code: 'aws.ses_permission',
    });
    expect(denied.steps.at(-1)?.detail).toMatch(
      /allow ses:GetConfigurationSetEventDestinations in the role's policy/,
    );
  });

  it('an older server without the check: the step is skipped, not passed', () => {
    const r = connectionSteps(
      settings(),
      answer({ eventDestination: undefined, ready: undefined }),
      awsErrorHint,
    );
    expect(r.failed).toBe(false);
    expect(names(r).at(-1)).toBe(`skip ${STEP.eventDestination}`);
    expect(r.steps.at(-1)?.detail).toMatch(/sesami doctor/);
  });

  it('not connected: the External ID to deploy with, and the simulator note', () => {
    const r = connectionSteps(
      settings({ connected: false }),
      failure('aws.not_connected', 'this workspace has no AWS connection'),
      awsErrorHint,
    );
    expect(names(r)).toEqual([`fail ${STEP.saved}`]);
    expect(r.steps[0].detail).toMatch(/ext-0123456789abcdef/);
    expect(r.steps[0].detail).toMatch(/simulator/);
    expect(r.steps[0].code).toBe('aws.not_connected');
  });

  it("judges the test mail's events per delivery path", () => {
    expect(eventsVerdict(['send'], false, 2, 'sqs', null)).toBeNull();
    expect(eventsVerdict(['send', 'delivery'], false, 2.25, 'sqs', null)).toEqual({
      name: STEP.events,
      status: 'ok',
      detail: 'both within 2.3 s',
    });
    expect(eventsVerdict([], true, 60, 'sqs', null)?.detail).toMatch(
      /No Send event within 60 s.*QueueUrl saved \(now: none\)/,
    );
    expect(eventsVerdict([], true, 60, 'api-destination', null)?.detail).toMatch(/IngestSecret/);
    expect(eventsVerdict(['send'], true, 60, 'event-bus', null)?.detail).toMatch(/no Delivery/);
  });
});
