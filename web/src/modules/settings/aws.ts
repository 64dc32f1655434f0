// The AWS connection form's rules and how /verify-sts answers read: what a person needs to know
// (sandbox or production, can it send, how much) and, when it fails, what to fix.
import type { ApiError } from '../../lib/types';
import { formatTime } from '../../lib/time';
import type { AwsMode, AwsSettingsInput, VerifyStsResult } from './settings.api';

/// Regions where SES v2 sends mail (the datalist's suggestions; others are accepted if well formed).
export const SES_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'sa-east-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'il-central-1',
  'me-south-1',
  'me-central-1',
  'af-south-1',
  'us-gov-west-1',
] as const;

export const MODES: readonly { value: AwsMode; label: string }[] = [
  { value: 'sqs', label: 'SQS queue (SESami reads it)' },
  { value: 'api-destination', label: 'EventBridge API destination (AWS calls SESami)' },
  { value: 'event-bus', label: 'EventBridge event bus (cross-account)' },
];

const ROLE_ARN = /^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/// The account of a role ARN (arn:aws:iam::123456789012:role/x): SNS topics of that account are
/// accepted like those of the source accounts. Null when there is no (valid) role.
export function roleAccount(roleArn: string | null | undefined): string | null {
  return /^arn:aws(?:-cn|-us-gov)?:iam::(\d{12}):role\//.exec(roleArn ?? '')?.[1] ?? null;
}
const REGION = /^[a-z]{2}(?:-gov)?-[a-z]+-\d{1,2}$/;
const CONFIGURATION_SET = /^[A-Za-z0-9_-]{1,64}$/;
/// An SQS queue URL as AWS prints it (the server's rule, server/aws/sqs.cpp): region, account, name.
const QUEUE_URL =
  /^https:\/\/(?:sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?|([a-z0-9-]+)\.queue\.amazonaws\.com)\/(\d{12})\/[A-Za-z0-9_-]{1,80}(?:\.fifo)?$/;

export interface AwsForm {
  roleArn: string;
  region: string;
  configurationSet: string;
  queueUrl: string;
  mode: AwsMode | '';
}
export type AwsErrors = Partial<Record<keyof AwsForm, string>>;

export function checkAwsForm(
  f: AwsForm,
): { ok: true; input: AwsSettingsInput } | { ok: false; errors: AwsErrors } {
  const errors: AwsErrors = {};
  const roleArn = f.roleArn.trim();
  const region = f.region.trim();
  const configurationSet = f.configurationSet.trim();
  const queueUrl = f.queueUrl.trim();
  if (!roleArn) errors.roleArn = 'The ARN of the IAM role SESami assumes in your account.';
  else if (!ROLE_ARN.test(roleArn))
    errors.roleArn = 'An IAM role ARN: arn:aws:iam::123456789012:role/SESami';
  if (!region) errors.region = 'The region you send from with SES.';
  else if (!REGION.test(region)) errors.region = 'An AWS region code, like eu-west-1.';
  if (configurationSet && !CONFIGURATION_SET.test(configurationSet))
    errors.configurationSet =
      'Letters, digits, _ and - only, at most 64 characters (SES configuration set names).';
  if (queueUrl) {
    // The queue is read with the role and nothing else: it must be in the role's account and region.
    const account = /::(\d{12}):/.exec(roleArn)?.[1] ?? '<account>';
    const expected = `The queue in the role's account, https://sqs.${region || '<region>'}.amazonaws.com/${account}/<queue>.`;
    const m = QUEUE_URL.exec(queueUrl);
    if (!m || (m[1] ?? m[2]) !== region || m[3] !== account) errors.queueUrl = expected;
  }
  if (f.mode === 'sqs' && !queueUrl && !errors.queueUrl)
    errors.queueUrl = 'SQS mode reads this queue: its URL.';
  if (Object.keys(errors).length) return { ok: false, errors };
  const input: AwsSettingsInput = { roleArn, region };
  if (configurationSet) input.configurationSet = configurationSet;
  if (queueUrl) input.queueUrl = queueUrl;
  if (f.mode) input.mode = f.mode;
  return { ok: true, input };
}

/// The trust policy statement's condition that makes the role assumable only with this workspace's
/// External ID (the confused-deputy guard).
export function trustPolicyCondition(externalId: string): string {
  return JSON.stringify({ StringEquals: { 'sts:ExternalId': externalId } }, null, 2);
}

export type Tone = 'ok' | 'warn' | 'bad' | '';
export interface Row {
  label: string;
  value: string;
  tone: Tone;
  key: string;
}

const num = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/// /verify-sts's answer as labelled lines, the worrying ones toned.
export function formatVerify(v: VerifyStsResult): Row[] {
  const rows: Row[] = [
    { key: 'account', label: 'AWS account', value: v.accountId, tone: '' },
    { key: 'region', label: 'Region', value: v.region, tone: '' },
    { key: 'role', label: 'Assumed role', value: v.assumedRoleArn, tone: '' },
    v.productionAccess
      ? { key: 'access', label: 'SES access', value: 'Production', tone: 'ok' }
      : {
          key: 'access',
          label: 'SES access',
          value:
            'Sandbox: mail goes only to verified addresses and the mailbox simulator; request production access in the SES console',
          tone: 'warn',
        },
    v.sendingEnabled
      ? { key: 'sending', label: 'Sending', value: 'Enabled', tone: 'ok' }
      : {
          key: 'sending',
          label: 'Sending',
          value: 'Paused for this account: SES refuses every send until it is re-enabled',
          tone: 'bad',
        },
    {
      key: 'rate',
      label: 'Max send rate',
      value: `${num.format(v.maxSendRate)} message${v.maxSendRate === 1 ? '' : 's'} per second`,
      tone: '',
    },
    quotaRow(v),
  ];
  if (v.credentialsExpireAt)
    rows.push({
      key: 'expires',
      label: 'Session credentials expire',
      value: formatTime(v.credentialsExpireAt),
      tone: '',
    });
  return rows;
}

function quotaRow(v: VerifyStsResult): Row {
  if (v.max24HourSend < 0)
    return {
      key: 'quota',
      label: '24-hour quota',
      value: `unlimited (${num.format(v.sentLast24Hours)} sent)`,
      tone: '',
    };
  const share = v.max24HourSend > 0 ? v.sentLast24Hours / v.max24HourSend : 1;
  const pct = `${num.format(Math.round(share * 1000) / 10)} %`;
  return {
    key: 'quota',
    label: '24-hour quota',
    value: `${num.format(v.sentLast24Hours)} of ${num.format(v.max24HourSend)} used (${pct}), ${num.format(Math.max(0, v.max24HourSend - v.sentLast24Hours))} left`,
    tone: share >= 1 ? 'bad' : share >= 0.8 ? 'warn' : '',
  };
}

/// What to do about a failed check, by error code; the server's message says what exactly failed.
export function awsErrorHint(e: ApiError): string {
  switch (e.code) {
    case 'aws.not_connected':
      return 'Save a role ARN and region above first. Until then, mail sent from SESami goes to the built-in simulator.';
    case 'aws.assume_role_denied':
      return "STS refused to let SESami assume the role: check that the role's trust policy allows SESami's principal and requires exactly the External ID shown above, and that the ARN is right.";
    case 'aws.ses_permission':
      return 'The role was assumed but SES refused: attach a policy allowing ses:GetAccount, ses:SendEmail and ses:SendRawEmail (and the suppression list actions if you sync it).';
    case 'aws.wrong_region':
      return 'SES is not set up in this region for the account: choose the region where your identities are verified.';
    case 'aws.invalid_role':
      return 'STS did not accept the request for this role: check the role ARN (account id, path, name).';
    case 'aws.unreachable':
      return 'SESami could not reach AWS (network, proxy or DNS). Nothing is wrong with the role yet; try again.';
    case 'aws.throttled':
      return 'AWS is throttling the calls: try again in a minute.';
    case 'aws.no_credentials':
    case 'aws.own_credentials_expired':
    case 'aws.own_credentials_invalid':
      return 'The SESami server itself has no valid AWS credentials to call STS with. Whoever runs the server sets them (environment variables or an instance role); your role is not at fault.';
    case 'auth.forbidden':
      return 'Only admins can do this.';
    default:
      return e.status === 0 ? 'The server did not answer; check that it is running.' : '';
  }
}
