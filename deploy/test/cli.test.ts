// `sesami connect` and `sesami doctor` against a real `sesami serve` (SESAMI_BIN, set by
// scripts/test): the template connect writes is the checked-in one with the workspace's values as
// defaults, and deployed it trusts exactly this workspace; doctor stops at the first failure with
// what to fix, and passes the whole pipeline through the built-in simulator.
import * as assert from 'node:assert/strict';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { customerTemplateName, synthAll } from '../lib/synth';
import { allows, deploy, Json, resourcesOfType } from './cfn';

const bin = process.env.SESAMI_BIN;
const skip = bin && fs.existsSync(bin) ? false : 'SESAMI_BIN is not set to a built sesami (scripts/test sets it)';
const run = promisify(execFile);
const SESAMI = '999988887777';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}
async function sesami(args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const r = await run(bin!, args, { env: { ...process.env, ...env }, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e: any) {
    if (typeof e.code !== 'number') throw e;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir = '';
let server: ChildProcess | undefined;
let url = '';
let apiKey = '';

before(async () => {
  if (skip) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sesami-connect-'));
  const db = path.join(dir, 'sesami.db');
  const ws = await sesami(['workspace', 'create', 'acme', '--db', db, '--json']);
  assert.equal(ws.code, 0, ws.stderr);
  apiKey = JSON.parse(ws.stdout).apiKey;
  server = spawn(bin!, ['serve', '--db', db, '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('sesami serve did not start: ' + out)), 30_000);
    server!.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server!.on('exit', (c) => reject(new Error(`sesami serve exited ${c}: ${out}`)));
  });
});
after(() => {
  server?.kill('SIGTERM');
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function settings(): Promise<Json> {
  const r = await fetch(`${url}/settings/aws`, { headers: { authorization: `Bearer ${apiKey}` } });
  assert.equal(r.status, 200);
  return r.json();
}

describe('sesami connect', { skip }, () => {
  test('writes the checked-in template with the workspace’s values as defaults', async () => {
    const out = path.join(dir, 'sqs.json');
    const r = await sesami(['connect', '--url', url, '--sesami-account', SESAMI, '--identity', 'example.com', '--identity', 'news@example.org', '--out', out], {
      SESAMI_API_KEY: apiKey,
    });
    assert.equal(r.code, 0, r.stderr);
    const { externalId } = await settings();
    assert.match(externalId, /^[A-Za-z0-9]{16,}$/);
    assert.match(r.stdout, /aws cloudformation deploy --stack-name sesami/);
    assert.match(r.stdout, /--capabilities CAPABILITY_IAM/);
    assert.ok(r.stdout.includes(externalId));

    const written = JSON.parse(fs.readFileSync(out, 'utf8'));
    const filled = { SesamiAccountId: SESAMI, ExternalId: externalId, ConfigurationSetName: 'sesami', SendingIdentity1: 'example.com', SendingIdentity2: 'news@example.org' };
    for (const [k, v] of Object.entries(filled)) assert.equal(written.Parameters[k].Default, v, k);
    // Apart from those defaults, exactly what deploy/ synthesized and tested.
    const stripped = structuredClone(written);
    const original = synthAll().get(customerTemplateName('sqs'))!;
    for (const k of Object.keys(filled)) {
      if (original.Parameters[k].Default === undefined) delete stripped.Parameters[k].Default;
      else stripped.Parameters[k].Default = original.Parameters[k].Default;
    }
    assert.deepEqual(stripped, original);

    // Deployed with no parameter typed in, the role trusts SESami with this workspace's External ID only.
    const deployed = deploy(written, { params: {}, region: 'eu-west-1', accountId: '123456789012' });
    const [[, role]] = resourcesOfType(deployed, 'AWS::IAM::Role');
    const assume = (id: string) =>
      allows([role.Properties.AssumeRolePolicyDocument], { action: 'sts:AssumeRole', resource: 'r', principalAccount: SESAMI, context: { 'sts:ExternalId': id } });
    assert.equal(assume(externalId), true);
    assert.equal(assume(externalId.slice(1)), false);
  });

  test('api-destination: the secret is left to the command line, never written', async () => {
    const out = path.join(dir, 'api.json');
    const r = await sesami(['connect', '--url', url, '--api-key', apiKey, '--sesami-account', SESAMI, '--mode', 'api-destination',
      '--ingest-url', 'https://sesami.example.net/ingest/eventbridge/tok_1', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const written = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.equal(written.Parameters.IngestUrl.Default, 'https://sesami.example.net/ingest/eventbridge/tok_1');
    assert.equal(written.Parameters.IngestSecret.Default, undefined);
    assert.equal(written.Parameters.IngestSecret.NoEcho, true);
    assert.match(r.stdout, /IngestSecret="\$SESAMI_INGEST_SECRET"/);
    assert.match(r.stdout, /SendingIdentity1=<SendingIdentity1>/);
  });

  test('refuses values the template would refuse, naming the parameter', async () => {
    const r = await sesami(['connect', '--url', url, '--api-key', apiKey, '--sesami-account', '12345', '--out', path.join(dir, 'bad.json')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /SesamiAccountId '12345' is not valid: a 12-digit AWS account id/);
    assert.ok(!fs.existsSync(path.join(dir, 'bad.json')));
    const bad = await sesami(['connect', '--url', url, '--api-key', 'sk_wrong', '--sesami-account', SESAMI, '--out', path.join(dir, 'x.json')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /answered 401/);
  });
});

describe('sesami doctor', { skip }, () => {
  test('stops at the missing AWS connection, with the External ID and what to do', async () => {
    const r = await sesami(['doctor', '--url', url, '--api-key', apiKey, '--from', 'doctor@example.com']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /ok {4}SESami answers/);
    assert.match(r.stdout, /ok {4}API key accepted/);
    assert.match(r.stdout, /FAIL  AWS connection saved\n.*no AWS connection. Run `sesami connect`/);
    assert.ok(r.stdout.includes((await settings()).externalId));
    assert.ok(!/test send/.test(r.stdout), 'nothing after the first failure');
  });

  test('a refused API key and an unreachable server are the first failures', async () => {
    const key = await sesami(['doctor', '--url', url, '--api-key', 'sk_wrong', '--from', 'd@example.com', '--json']);
    assert.equal(key.code, 1);
    const j = JSON.parse(key.stdout);
    assert.equal(j.ok, false);
    assert.deepEqual(j.steps.map((s: Json) => [s.step, s.status]), [['SESami answers', 'ok'], ['API key accepted', 'fail']]);
    assert.match(j.steps[1].detail, /refused \(401/);
    const gone = await sesami(['doctor', '--url', 'http://127.0.0.1:1', '--api-key', apiKey, '--from', 'd@example.com']);
    assert.equal(gone.code, 1);
    assert.match(gone.stdout, /FAIL  SESami answers\n\s+cannot reach SESami at http:\/\/127\.0\.0\.1:1/);
  });

  test('with the simulator: test send, then its Send and Delivery events arrive', async () => {
    const r = await sesami(['doctor', '--url', url, '--api-key', apiKey, '--from', 'doctor@example.com', '--allow-simulator', '--timeout', '30', '--json']);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.steps.map((s: Json) => [s.step, s.status]), [
      ['SESami answers', 'ok'],
      ['API key accepted', 'ok'],
      ['AWS connection saved', 'skip'],
      ['test send to success@simulator.amazonses.com', 'ok'],
      ['Send and Delivery events arrive', 'ok'],
    ], r.stdout);
    assert.equal(r.code, 0);
    assert.equal(j.ok, true);
    const messageId = /messageId (\S+) via simulator/.exec(j.steps[3].detail)![1];
    const ev = await fetch(`${url}/events?messageId=${encodeURIComponent(messageId)}`, { headers: { authorization: `Bearer ${apiKey}` } });
    const types = ((await ev.json()) as Json).events.map((e: Json) => e.type);
    assert.ok(types.includes('send') && types.includes('delivery'), types.join(','));
  });
});

// The connected path: SESami's own credentials and the customer's role live in the AWS stand-ins
// (tests/aws/standins: STS and SES v2 with SigV4 verified), the server and doctor both talk to them.
describe('sesami doctor with an AWS connection (stand-ins)', { skip }, () => {
  const ROLE = 'arn:aws:iam::444455556666:role/SesamiRole';
  const creds = { accessKeyId: 'AKIDSESAMIDOCTOR0001', secretAccessKey: 'doctor-test-secret-key-0000000000000000' };
  let sdir = '';
  let standins: ChildProcess | undefined;
  let aws = '';
  let srv: ChildProcess | undefined;
  let surl = '';
  let key = '';
  let externalId = '';
  const env = () => ({
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_SESSION_TOKEN: '',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    AWS_CONFIG_FILE: '/nonexistent',
    SESAMI_AWS_STS_ENDPOINT: aws,
    SESAMI_AWS_SES_ENDPOINT: aws,
    SESAMI_AWS_SQS_ENDPOINT: aws,
  });
  const waitFor = (p: ChildProcess, re: RegExp) =>
    new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('no start: ' + out)), 30_000);
      p.stdout!.on('data', (d) => {
        out += d;
        const m = re.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      p.on('exit', (c) => reject(new Error(`exited ${c}: ${out}`)));
    });
  const admin = async (method: string, p: string, body: Json) => {
    const r = await fetch(aws + p, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.ok(r.ok, `${method} ${p}: ${r.status} ${await r.text()}`);
  };
  const doctor = async () => {
    const r = await sesami(['doctor', '--url', surl, '--api-key', key, '--from', 'noreply@example.com', '--timeout', '5', '--json'], env());
    return { code: r.code, ...(JSON.parse(r.stdout) as Json) };
  };
  const steps = (j: Json) => j.steps.map((s: Json) => `${s.status} ${s.step}`);

  before(async () => {
    if (skip) return;
    sdir = fs.mkdtempSync(path.join(os.tmpdir(), 'sesami-doctor-'));
    const cfg = path.join(sdir, 'standins.json');
    fs.writeFileSync(cfg, JSON.stringify({
      region: 'us-east-1', accountId: '111122223333',
      credentials: [{ ...creds, accountId: '111122223333' }],
      roles: [],
      queues: [{ name: 'events', accountId: '444455556666' }],
      account: { productionAccess: true, sendingEnabled: true },
    }));
    const serveMjs = path.join(__dirname, '..', '..', '..', 'tests', 'aws', 'standins', 'serve.mjs');
    standins = spawn(process.execPath, [serveMjs, '--port', '0', '--config', cfg], { stdio: ['pipe', 'pipe', 'pipe'] });
    aws = await waitFor(standins, /listening on (http:\/\/\S+)/);
    const db = path.join(sdir, 'sesami.db');
    const ws = await sesami(['workspace', 'create', 'acme', '--db', db, '--json']);
    assert.equal(ws.code, 0, ws.stderr);
    key = JSON.parse(ws.stdout).apiKey;
    srv = spawn(bin!, ['serve', '--db', db, '--port', '0', '--log-level', 'error'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env() } });
    surl = await waitFor(srv, /listening on (http:\/\/\S+)/);
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    externalId = ((await (await fetch(`${surl}/settings/aws`, { headers: auth })).json()) as Json).externalId;
    await admin('PUT', '/_admin/config', { roles: [{ arn: ROLE, externalId, trustedAccounts: ['111122223333'] }] });
    const put = await fetch(`${surl}/settings/aws`, {
      method: 'PUT', headers: auth,
      // No configuration set: the stand-ins have no GetConfigurationSet, which the server's
      // /verify-sts would call; doctor's own configuration-set step then reports it missing.
      // The queue URL as AWS prints it (the server accepts no other); the stand-in is reached
      // through the operator's SQS endpoint override (SESAMI_AWS_SQS_ENDPOINT), never the URL.
      body: JSON.stringify({ roleArn: ROLE, region: 'us-east-1', mode: 'sqs',
        queueUrl: 'https://sqs.us-east-1.amazonaws.com/444455556666/events' }),
    });
    assert.equal(put.status, 200, await put.text());
  });
  after(() => {
    srv?.kill('SIGTERM');
    standins?.kill('SIGTERM');
    if (sdir) fs.rmSync(sdir, { recursive: true, force: true });
  });

  test('a trust policy with another External ID stops doctor at the role, naming the fix', async () => {
    await admin('PUT', '/_admin/config', { roles: [{ arn: ROLE, externalId: 'another-workspace-0000', trustedAccounts: ['111122223333'] }] });
    const j = await doctor();
    assert.equal(j.code, 1);
    assert.deepEqual(steps(j), ['ok SESami answers', 'ok API key accepted', 'ok AWS connection saved', 'fail role assumable with the External ID']);
    const detail = j.steps[3].detail;
    assert.match(detail, /aws\.assume_role_denied/);
    assert.ok(detail.includes(externalId), 'names the External ID the trust policy needs');
  });

  test('a sandboxed SES account stops doctor at production access', async () => {
    await admin('PUT', '/_admin/config', {
      roles: [{ arn: ROLE, externalId, trustedAccounts: ['111122223333'] }],
      account: { productionAccess: false, sendingEnabled: true },
    });
    const j = await doctor();
    assert.equal(j.code, 1);
    assert.deepEqual(steps(j).slice(3), ['ok role assumable with the External ID', 'fail SES production access and sending enabled']);
    assert.match(j.steps[4].detail, /sandbox.*Request production access/s);
  });

  test('role and account fine: the next stop is the configuration set missing from the settings', async () => {
    await admin('PUT', '/_admin/config', { account: { productionAccess: true, sendingEnabled: true } });
    const j = await doctor();
    assert.equal(j.code, 1);
    assert.deepEqual(steps(j).slice(3), [
      'ok role assumable with the External ID',
      'ok SES production access and sending enabled',
      'fail configuration set with its event destination',
    ]);
    assert.match(j.steps[3].detail, /assumed arn:aws:sts::444455556666:assumed-role\/SesamiRole\//);
    assert.match(j.steps[5].detail, /names no configuration set: save the stack's ConfigurationSet output/);
  });

  test('sending paused is told apart from the sandbox', async () => {
    await admin('PUT', '/_admin/config', { account: { productionAccess: true, sendingEnabled: false } });
    const j = await doctor();
    assert.equal(j.code, 1);
    assert.equal(steps(j)[4], 'fail SES production access and sending enabled');
    assert.match(j.steps[4].detail, /sending is disabled/);
  });
});
