import { describe, expect, it } from 'vitest';
import {
  awsErrorHint,
  checkAwsForm,
  formatVerify,
  roleAccount,
  trustPolicyCondition,
  type AwsForm,
} from '../../src/modules/settings/aws';
import type { VerifyStsResult } from '../../src/modules/settings/settings.api';
import { changeText, syncErrorText, syncSummary } from '../../src/modules/suppression/sync';

const form = (over: Partial<AwsForm> = {}): AwsForm => ({
  roleArn: 'arn:aws:iam::123456789012:role/SESami',
  region: 'eu-west-1',
  configurationSet: '',
  queueUrl: '',
  mode: '',
  ...over,
});

describe('AWS connection form', () => {
  it("names the connected role's account (its SNS topics are accepted too)", () => {
    expect(roleAccount('arn:aws:iam::444455556666:role/SesamiAccess')).toBe('444455556666');
    expect(roleAccount('arn:aws-cn:iam::444455556666:role/p/R')).toBe('444455556666');
    for (const bad of [
      null,
      undefined,
      '',
      'arn:aws:iam::4444:role/R',
      'arn:aws:iam::444455556666:user/R',
      'arn:aws:sns:eu-west-1:444455556666:t',
    ])
      expect(roleAccount(bad)).toBeNull();
  });

  it('sends only what was given, trimmed', () => {
    expect(
      checkAwsForm(form({ roleArn: ' arn:aws:iam::123456789012:role/path/to/SESami-role ' })),
    ).toEqual({
      ok: true,
      input: { roleArn: 'arn:aws:iam::123456789012:role/path/to/SESami-role', region: 'eu-west-1' },
    });
    expect(
      checkAwsForm(
        form({
          configurationSet: 'sesami_events-1',
          mode: 'sqs',
          queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q',
        }),
      ),
    ).toEqual({
      ok: true,
      input: {
        roleArn: 'arn:aws:iam::123456789012:role/SESami',
        region: 'eu-west-1',
        configurationSet: 'sesami_events-1',
        mode: 'sqs',
        queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q',
      },
    });
    expect(
      checkAwsForm(
        form({ roleArn: 'arn:aws-us-gov:iam::123456789012:role/R', region: 'us-gov-west-1' }),
      ).ok,
    ).toBe(true);
  });

  it('refuses what AWS would refuse, field by field', () => {
    for (const roleArn of [
      '',
      'SESami',
      'arn:aws:iam::12345:role/R',
      'arn:aws:iam::123456789012:user/R',
      'arn:aws:iam::123456789012:role/',
      'arn:aws:sts::123456789012:assumed-role/R/s',
    ]) {
      const c = checkAwsForm(form({ roleArn }));
      expect(!c.ok && Boolean(c.errors.roleArn), roleArn).toBe(true);
    }
    for (const region of ['', 'Europe', 'eu_west_1', 'eu-west']) {
      const c = checkAwsForm(form({ region }));
      expect(!c.ok && Boolean(c.errors.region), region).toBe(true);
    }
    const c = checkAwsForm(form({ configurationSet: 'has space', queueUrl: 'not a url' }));
    expect(!c.ok && Object.keys(c.errors).sort()).toEqual(['configurationSet', 'queueUrl']);
    const sqs = checkAwsForm(form({ mode: 'sqs' }));
    expect(!sqs.ok && sqs.errors.queueUrl).toMatch(/SQS/);
  });

  it("takes only an SQS queue of the role's account and region (the server reads it with the role alone)", () => {
    for (const queueUrl of [
      'https://sqs.eu-west-1.amazonaws.com/123456789012/q',
      'https://eu-west-1.queue.amazonaws.com/123456789012/q.fifo',
    ])
      expect(checkAwsForm(form({ queueUrl })).ok, queueUrl).toBe(true);
    for (const queueUrl of [
      'http://sqs.eu-west-1.amazonaws.com/123456789012/q',
      'https://169.254.169.254/123456789012/q',
      'https://sqs.eu-west-1.amazonaws.com/999999999999/q',
      'https://sqs.us-east-1.amazonaws.com/123456789012/q',
      'https://sqs.eu-west-1.amazonaws.com@127.0.0.1/123456789012/q',
      'https://sqs.eu-west-1.evil.example/123456789012/q',
    ]) {
      const c = checkAwsForm(form({ queueUrl }));
      expect(!c.ok && c.errors.queueUrl, queueUrl).toBe(
        "The queue in the role's account, https://sqs.eu-west-1.amazonaws.com/123456789012/<queue>.",
      );
    }
  });

  it('writes the trust policy condition with the External ID', () => {
    expect(JSON.parse(trustPolicyCondition('abc123'))).toEqual({
      StringEquals: { 'sts:ExternalId': 'abc123' },
    });
  });
});

const answer = (over: Partial<VerifyStsResult> = {}): VerifyStsResult => ({
  ok: true,
  accountId: '123456789012',
  region: 'eu-west-1',
  assumedRoleArn: 'arn:aws:sts::123456789012:assumed-role/SESami/sesami',
  productionAccess: true,
  sendingEnabled: true,
  maxSendRate: 14,
  max24HourSend: 50000,
  sentLast24Hours: 1234,
  credentialsExpireAt: '2026-11-28T23:00:00.000Z',
  ...over,
});
const row = (v: VerifyStsResult, key: string) => formatVerify(v).find((r) => r.key === key)!;

describe('/verify-sts answer', () => {
  it('reads as account, region, access, sending, rate, quota and expiry', () => {
    const rows = formatVerify(answer());
    expect(rows.map((r) => [r.label, r.value])).toEqual([
      ['AWS account', '123456789012'],
      ['Region', 'eu-west-1'],
      ['Assumed role', 'arn:aws:sts::123456789012:assumed-role/SESami/sesami'],
      ['SES access', 'Production'],
      ['Sending', 'Enabled'],
      ['Max send rate', '14 messages per second'],
      ['24-hour quota', '1,234 of 50,000 used (2.5 %), 48,766 left'],
      ['Session credentials expire', '2026-11-28 23:00:00 UTC'],
    ]);
    expect(rows.filter((r) => r.tone === 'warn' || r.tone === 'bad')).toEqual([]);
  });

  it('flags the sandbox, paused sending and a quota nearly or fully used', () => {
    expect(row(answer({ productionAccess: false }), 'access')).toMatchObject({
      tone: 'warn',
      value: expect.stringMatching(/^Sandbox/),
    });
    expect(row(answer({ sendingEnabled: false }), 'sending')).toMatchObject({
      tone: 'bad',
      value: expect.stringMatching(/^Paused/),
    });
    expect(row(answer({ max24HourSend: 200, sentLast24Hours: 170 }), 'quota')).toMatchObject({
      tone: 'warn',
      value: '170 of 200 used (85 %), 30 left',
    });
    expect(row(answer({ max24HourSend: 200, sentLast24Hours: 200 }), 'quota').tone).toBe('bad');
    expect(row(answer({ max24HourSend: -1, sentLast24Hours: 5 }), 'quota').value).toBe(
      'unlimited (5 sent)',
    );
    expect(row(answer({ maxSendRate: 0.5 }), 'rate').value).toBe('0.5 messages per second');
    expect(row(answer({ maxSendRate: 1 }), 'rate').value).toBe('1 message per second');
  });

  it('says what to fix for each failure', () => {
    const hint = (code: string, status = 400) => awsErrorHint({ status, code, message: '' });
    expect(hint('aws.not_connected')).toMatch(/simulator/);
    expect(hint('aws.assume_role_denied', 403)).toMatch(/trust policy.*External ID/);
    expect(hint('aws.ses_permission', 403)).toMatch(/ses:GetAccount/);
    expect(hint('aws.wrong_region')).toMatch(/region/);
    expect(hint('aws.unreachable', 502)).toMatch(/reach AWS/);
    expect(hint('aws.no_credentials', 502)).toMatch(/server itself/);
    expect(hint('aws.invalid_role')).toMatch(/role ARN/);
    expect(hint('something.else')).toBe('');
    expect(hint('network', 0)).toMatch(/server did not answer/);
  });
});

describe('suppression sync record', () => {
  it('says what changed', () => {
    expect(
      syncSummary({
        at: '2026-11-28T10:00:00Z',
        pulled: 3,
        pushed: 1,
        removedLocal: 0,
        removedRemote: 2,
        errors: [],
      }),
    ).toBe('Pulled 3 addresses from SES, pushed 1 address to SES, removed 2 addresses from SES.');
    expect(
      syncSummary({
        at: '2026-11-28T10:00:00Z',
        pulled: 0,
        pushed: 0,
        removedLocal: 1,
        removedRemote: 0,
      }),
    ).toBe('Removed 1 address here.');
    expect(
      syncSummary({
        at: '2026-11-28T10:00:00Z',
        pulled: 0,
        pushed: 0,
        removedLocal: 0,
        removedRemote: 0,
      }),
    ).toBe('Nothing changed.');
  });
  it('reads errors given as strings or objects', () => {
    expect(syncErrorText('throttled')).toBe('throttled');
    expect(
      syncErrorText({ address: 'a@x.com', message: 'rejected', code: 'aws.ses_permission' }),
    ).toBe('a@x.com: rejected (aws.ses_permission)');
    expect(syncErrorText({ other: 1 })).toBe('{"other":1}');
    expect(
      syncErrorText({
        address: null,
        operation: 'credentials',
        code: 'aws.credentials',
        message: 'STS unreachable',
      }),
    ).toBe('credentials: STS unreachable (aws.credentials)');
    expect(
      syncErrorText({
        address: 'b@x.com',
        operation: 'put',
        code: 'aws.throttled',
        message: 'slow down',
      }),
    ).toBe('b@x.com (put): slow down (aws.throttled)');
  });
  it('lists each change', () => {
    expect(changeText({ address: 'a@x.com', change: 'pulled', reason: 'BOUNCE' })).toBe(
      'a@x.com: added here (from SES), BOUNCE',
    );
    expect(changeText({ address: 'a@x.com', change: 'removed-remote', reason: '' })).toBe(
      'a@x.com: removed from SES',
    );
  });
});
