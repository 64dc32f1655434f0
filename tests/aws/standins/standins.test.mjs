// The stand-ins' own tests: the verifier reproduces AWS's published SigV4 vectors and refuses
// what AWS refuses; STS, SQS and SES behave as their AWS documentation says.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sign, verify, canonicalUri, canonicalQuery } from './sigv4.mjs';
import { createStandins } from './server.mjs';

const SUITE_KEY = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SUITE_AT = Date.UTC(2015, 7, 30, 12, 36, 0);
const suiteAuth = (sig) =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${sig}`;
const suiteReq = (method, pathQuery, sig) => ({
  method, path: pathQuery.split('?')[0], query: pathQuery.split('?')[1] || '', body: Buffer.alloc(0),
  rawHeaders: ['Host', 'example.amazonaws.com', 'X-Amz-Date', '20150830T123600Z', 'Authorization', suiteAuth(sig)],
});
const suiteLookup = (id) => (id === 'AKIDEXAMPLE' ? SUITE_KEY : undefined);

test('verifier accepts AWS test-suite vectors (get-vanilla, query-order-key-case, post-vanilla)', () => {
  for (const [m, pq, sig] of [
    ['GET', '/', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    ['GET', '/?Param2=value2&Param1=value1', 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'],
    ['POST', '/', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'],
  ]) {
    const v = verify(suiteReq(m, pq, sig), { lookup: suiteLookup, region: 'us-east-1', now: SUITE_AT });
    assert.equal(v.ok, true, `${m} ${pq}: ${v.message}`);
  }
});

test('verifier refuses a wrong signature, unknown key, skewed clock, missing parts', () => {
  const good = '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31';
  const bad = good.replace(/^5/, '6');
  let v = verify(suiteReq('GET', '/', bad), { lookup: suiteLookup, region: 'us-east-1', now: SUITE_AT });
  assert.equal(v.code, 'SignatureDoesNotMatch');
  assert.equal(v.status, 403);
  // A tampered query no longer matches the signature over the original one.
  v = verify(suiteReq('GET', '/?a=b', good), { lookup: suiteLookup, region: 'us-east-1', now: SUITE_AT });
  assert.equal(v.code, 'SignatureDoesNotMatch');
  v = verify(suiteReq('GET', '/', good), { lookup: () => undefined, region: 'us-east-1', now: SUITE_AT });
  assert.equal(v.code, 'InvalidClientTokenId');
  v = verify(suiteReq('GET', '/', good), { lookup: suiteLookup, region: 'us-east-1', now: SUITE_AT + 6 * 60 * 1000 });
  assert.equal(v.code, 'RequestExpired');
  v = verify(suiteReq('GET', '/', good), { lookup: suiteLookup, region: 'us-east-1', now: SUITE_AT + 4 * 60 * 1000 });
  assert.equal(v.ok, true);
  v = verify(suiteReq('GET', '/', good), { lookup: suiteLookup, region: 'eu-west-1', now: SUITE_AT });
  assert.equal(v.code, 'SignatureDoesNotMatch');
  const r = suiteReq('GET', '/', good);
  r.rawHeaders[5] = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, Signature=' + good;
  v = verify(r, { lookup: suiteLookup, region: 'us-east-1', now: SUITE_AT });
  assert.equal(v.code, 'IncompleteSignature');
  const expiring = { ...SUITE_KEY, sessionToken: 'tok', expiresAt: SUITE_AT - 1 };
  const h = sign({ method: 'GET', url: 'https://example.amazonaws.com/', ...expiring, region: 'us-east-1', service: 'service', now: SUITE_AT });
  const raw = Object.entries(h).flat();
  v = verify({ method: 'GET', path: '/', query: '', rawHeaders: raw, body: Buffer.alloc(0) }, { lookup: () => expiring, region: 'us-east-1', now: SUITE_AT });
  assert.equal(v.code, 'ExpiredToken');
  v = verify({ method: 'GET', path: '/', query: '', rawHeaders: raw, body: Buffer.alloc(0) }, { lookup: () => ({ ...expiring, sessionToken: 'other' }), region: 'us-east-1', now: SUITE_AT });
  assert.equal(v.code, 'InvalidClientTokenId');
});

test('canonical URI encodes the wire path again (non-S3) and the query is sorted and re-encoded', () => {
  assert.equal(canonicalUri('/v2/email/suppression/addresses/a%40b.com'), '/v2/email/suppression/addresses/a%2540b.com');
  assert.equal(canonicalUri('/example/../x/./y'), '/x/y');
  assert.equal(canonicalQuery('b=2&a=%7e&a=1&c'), 'a=1&a=~&b=2&c=');
});

// ---- the services over HTTP ---------------------------------------------------------------------
const CALLER = { accessKeyId: 'AKIASESAMI0000000001', secretAccessKey: 'sesami-secret-key-for-tests-only-000000' };
const config = {
  region: 'us-east-1',
  accountId: '111122223333',
  credentials: [CALLER],
  roles: [
    { arn: 'arn:aws:iam::444455556666:role/SesamiAccess', externalId: 'ext-0123456789abcdef', trustedAccounts: ['111122223333'], credentialLifetimeSeconds: 2 },
    { arn: 'arn:aws:iam::444455556666:role/OtherTrust', trustedAccounts: ['999999999999'] },
    { arn: 'arn:aws:iam::444455556666:role/SesamiLong', externalId: 'ext-long', trustedAccounts: ['111122223333'] },
  ],
  queues: [
    { name: 'events', accountId: '444455556666', deadLetterQueue: 'events-dlq', maxReceiveCount: 2, visibilityTimeout: 1 },
    { name: 'events-dlq', accountId: '444455556666' },
  ],
};
let s, base;
before(async () => {
  s = createStandins(config);
  base = await s.listen(0);
});
after(() => s.close());

async function call({ service, method = 'POST', path = '/', headers = {}, body = '', cred = CALLER, now }) {
  const url = base + path;
  const h = sign({ method, url, headers, body, ...cred, region: 'us-east-1', service, now });
  const r = await fetch(url, { method, headers: h, body: method === 'GET' ? undefined : body });
  const text = await r.text();
  return { status: r.status, text, headers: r.headers };
}
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const assume = (ext, cred = CALLER, arn = 'arn:aws:iam::444455556666:role/SesamiAccess') =>
  call({ service: 'sts', headers: form, cred, body: new URLSearchParams({ Action: 'AssumeRole', Version: '2011-06-15', RoleArn: arn, RoleSessionName: 'sesami-test', ...(ext ? { ExternalId: ext } : {}) }).toString() });
const tag = (xml, t) => (new RegExp(`<${t}>([^<]*)</${t}>`).exec(xml) || [])[1];
const sqs = (op, input, cred) =>
  call({ service: 'sqs', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${op}` }, body: JSON.stringify(input), cred });

test('STS AssumeRole: External ID and trust checked, credentials usable, then expired', async () => {
  let r = await assume('wrong-external-id');
  assert.equal(r.status, 403);
  assert.equal(tag(r.text, 'Code'), 'AccessDenied');
  assert.match(tag(r.text, 'Message'), /is not authorized to perform: sts:AssumeRole/);
  r = await assume(null, CALLER, 'arn:aws:iam::444455556666:role/OtherTrust');
  assert.equal(tag(r.text, 'Code'), 'AccessDenied');
  r = await assume('ext-0123456789abcdef');
  assert.equal(r.status, 200, r.text);
  const temp = { accessKeyId: tag(r.text, 'AccessKeyId'), secretAccessKey: tag(r.text, 'SecretAccessKey'), sessionToken: tag(r.text, 'SessionToken') };
  assert.match(temp.accessKeyId, /^ASIA/);
  assert.ok(Date.parse(tag(r.text, 'Expiration')) > Date.now() - 1000);
  const q = s.sqs.queues.get('events').url;
  r = await sqs('GetQueueAttributes', { QueueUrl: q, AttributeNames: ['All'] }, temp);
  assert.equal(r.status, 200, r.text);
  // The temporary key without its session token is an invalid token.
  r = await sqs('GetQueueAttributes', { QueueUrl: q }, { ...temp, sessionToken: undefined });
  assert.equal(JSON.parse(r.text).__type, 'com.amazon.coral.service#InvalidClientTokenId');
  await new Promise((res) => setTimeout(res, 2100));
  r = await sqs('GetQueueAttributes', { QueueUrl: q }, temp);
  assert.equal(r.status, 403);
  assert.equal(JSON.parse(r.text).__type, 'com.amazon.coral.service#ExpiredToken');
  assert.equal(s.state.calls['sts.AssumeRole'], 3);
});

test('a wrong signature is refused with SignatureDoesNotMatch by every service', async () => {
  const wrong = { ...CALLER, secretAccessKey: 'not-the-secret' };
  let r = await call({ service: 'sts', headers: form, body: 'Action=GetCallerIdentity&Version=2011-06-15', cred: wrong });
  assert.equal(r.status, 403);
  assert.equal(tag(r.text, 'Code'), 'SignatureDoesNotMatch');
  r = await sqs('GetQueueUrl', { QueueName: 'events' }, wrong);
  assert.equal(r.status, 403);
  assert.equal(r.headers.get('x-amzn-query-error'), 'SignatureDoesNotMatch;Sender');
  r = await call({ service: 'ses', method: 'GET', path: '/v2/email/suppression/addresses', cred: wrong });
  assert.equal(r.status, 403);
  assert.equal(r.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
  r = await call({ service: 'sts', headers: form, body: 'Action=GetCallerIdentity&Version=2011-06-15', now: Date.now() - 10 * 60 * 1000 });
  assert.equal(tag(r.text, 'Code'), 'RequestExpired');
  r = await call({ service: 'sts', headers: form, body: 'Action=GetCallerIdentity&Version=2011-06-15', cred: { ...CALLER, accessKeyId: 'AKIAUNKNOWN000000000' } });
  assert.equal(tag(r.text, 'Code'), 'InvalidClientTokenId');
  r = await call({ service: 'sts', headers: form, body: 'Action=GetCallerIdentity&Version=2011-06-15' });
  assert.equal(tag(r.text, 'Account'), '111122223333');
});

async function roleCreds() {
  const r = await assume('ext-long', CALLER, 'arn:aws:iam::444455556666:role/SesamiLong');
  return { accessKeyId: tag(r.text, 'AccessKeyId'), secretAccessKey: tag(r.text, 'SecretAccessKey'), sessionToken: tag(r.text, 'SessionToken') };
}

test('SQS: long poll, visibility, stale receipt handles, redrive to the DLQ', async () => {
  const c = await roleCreds();
  const q = s.sqs.queues.get('events').url;
  // Another account's key may not read the customer's queue.
  let r = await sqs('ReceiveMessage', { QueueUrl: q }, CALLER);
  assert.equal(r.status, 403);
  // Long poll: a message sent 300 ms into a 2 s wait is returned.
  setTimeout(() => sqs('SendMessage', { QueueUrl: q, MessageBody: 'hello' }, c), 300);
  const t0 = Date.now();
  r = await sqs('ReceiveMessage', { QueueUrl: q, WaitTimeSeconds: 2, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }, c);
  assert.ok(Date.now() - t0 >= 250);
  let msgs = JSON.parse(r.text).Messages;
  assert.equal(msgs.length, 1);
  assert.equal(msgs[0].Body, 'hello');
  assert.equal(msgs[0].Attributes.ApproximateReceiveCount, '1');
  const first = msgs[0].ReceiptHandle;
  // Invisible now; extending visibility keeps it invisible past the queue's 1 s default.
  r = await sqs('ChangeMessageVisibilityBatch', { QueueUrl: q, Entries: [{ Id: 'a', ReceiptHandle: first, VisibilityTimeout: 2 }] }, c);
  assert.deepEqual(JSON.parse(r.text).Failed, []);
  await new Promise((res) => setTimeout(res, 1200));
  r = await sqs('ReceiveMessage', { QueueUrl: q }, c);
  assert.deepEqual(JSON.parse(r.text), {});
  await new Promise((res) => setTimeout(res, 1000));
  r = await sqs('ReceiveMessage', { QueueUrl: q, WaitTimeSeconds: 1, AttributeNames: ['All'] }, c);
  msgs = JSON.parse(r.text).Messages;
  assert.equal(msgs[0].Attributes.ApproximateReceiveCount, '2');
  // The first receipt handle is outdated: deleting with it succeeds but deletes nothing.
  r = await sqs('DeleteMessageBatch', { QueueUrl: q, Entries: [{ Id: 'old', ReceiptHandle: first }] }, c);
  assert.deepEqual(JSON.parse(r.text).Successful, [{ Id: 'old' }]);
  assert.equal(s.sqs.queues.get('events').messages.length, 1);
  // After maxReceiveCount (2) receives the next receive moves it to the DLQ.
  await new Promise((res) => setTimeout(res, 1100));
  r = await sqs('ReceiveMessage', { QueueUrl: q }, c);
  assert.deepEqual(JSON.parse(r.text), {});
  assert.equal(s.sqs.queues.get('events-dlq').messages.length, 1);
  // Delete with the current handle removes the message.
  await sqs('SendMessage', { QueueUrl: q, MessageBody: 'bye' }, c);
  msgs = JSON.parse((await sqs('ReceiveMessage', { QueueUrl: q }, c)).text).Messages;
  r = await sqs('DeleteMessageBatch', { QueueUrl: q, Entries: [{ Id: 'x', ReceiptHandle: msgs[0].ReceiptHandle }, { Id: 'y', ReceiptHandle: 'garbage' }] }, c);
  const out = JSON.parse(r.text);
  assert.deepEqual(out.Successful, [{ Id: 'x' }]);
  assert.equal(out.Failed[0].Code, 'ReceiptHandleIsInvalid');
  assert.equal(s.sqs.queues.get('events').messages.length, 0);
  r = await sqs('ReceiveMessage', { QueueUrl: q, MaxNumberOfMessages: 11 }, c);
  assert.equal(JSON.parse(r.text).__type, 'com.amazonaws.sqs#InvalidParameterValue');
});

test('injected faults answer in the service protocol, then clear', async () => {
  const c = await roleCreds();
  const q = s.sqs.queues.get('events').url;
  await fetch(base + '/_admin/faults', { method: 'POST', body: JSON.stringify({ service: 'sqs', action: 'ReceiveMessage', status: 400, code: 'ThrottlingException', message: 'Rate exceeded', count: 1 }) });
  let r = await sqs('ReceiveMessage', { QueueUrl: q }, c);
  assert.equal(r.status, 400);
  assert.equal(JSON.parse(r.text).__type, 'com.amazonaws.sqs#ThrottlingException');
  r = await sqs('ReceiveMessage', { QueueUrl: q }, c);
  assert.equal(r.status, 200);
});

test('SES suppression list: put, paged list, get, delete, not found', async () => {
  const c = await roleCreds();
  const ses = (method, path, body) =>
    call({ service: 'ses', method, path, body: body ? JSON.stringify(body) : '', headers: body ? { 'content-type': 'application/json' } : {}, cred: c });
  for (const a of ['a@x.com', 'b@x.com', 'c@x.com'])
    assert.equal((await ses('PUT', '/v2/email/suppression/addresses', { EmailAddress: a, Reason: 'BOUNCE' })).status, 200);
  let r = await ses('PUT', '/v2/email/suppression/addresses', { EmailAddress: 'd@x.com', Reason: 'NOPE' });
  assert.equal(r.headers.get('x-amzn-errortype'), 'BadRequestException');
  r = await ses('GET', '/v2/email/suppression/addresses?PageSize=2');
  let page = JSON.parse(r.text);
  assert.deepEqual(page.SuppressedDestinationSummaries.map((e) => e.EmailAddress), ['a@x.com', 'b@x.com']);
  assert.equal(typeof page.SuppressedDestinationSummaries[0].LastUpdateTime, 'number');
  r = await ses('GET', `/v2/email/suppression/addresses?PageSize=2&NextToken=${encodeURIComponent(page.NextToken)}`);
  page = JSON.parse(r.text);
  assert.deepEqual(page.SuppressedDestinationSummaries.map((e) => e.EmailAddress), ['c@x.com']);
  assert.equal(page.NextToken, undefined);
  r = await ses('DELETE', '/v2/email/suppression/addresses/b%40x.com');
  assert.equal(r.status, 200);
  r = await ses('GET', '/v2/email/suppression/addresses/b%40x.com');
  assert.equal(r.status, 404);
  assert.equal(r.headers.get('x-amzn-errortype'), 'NotFoundException');
  r = await ses('GET', '/v2/email/account');
  assert.equal(JSON.parse(r.text).SendingEnabled, true);
});

test('SES configuration sets: GetConfigurationSet and its event destinations, NotFound otherwise', async () => {
  const c = await roleCreds();
  const get = (path) => call({ service: 'ses', method: 'GET', path, cred: c });
  s.state.config.configurationSets = { sesami: { sendingEnabled: false, eventDestinations: [{ Name: 'sesami-eventbridge', Enabled: true,
    MatchingEventTypes: ['SEND', 'DELIVERY'], EventBridgeDestination: { EventBusArn: 'arn:aws:events:us-east-1:444455556666:event-bus/default' } }] } };
  let r = await get('/v2/email/configuration-sets/sesami');
  assert.equal(r.status, 200);
  const set = JSON.parse(r.text);
  assert.equal(set.ConfigurationSetName, 'sesami');
  assert.equal(set.SendingOptions.SendingEnabled, false);
  r = await get('/v2/email/configuration-sets/sesami/event-destinations');
  assert.deepEqual(JSON.parse(r.text).EventDestinations.map((d) => d.Name), ['sesami-eventbridge']);
  r = await get('/v2/email/configuration-sets/other');
  assert.equal(r.status, 404);
  assert.equal(r.headers.get('x-amzn-errortype'), 'NotFoundException');
  assert.ok(s.state.calls['ses.GetConfigurationSetEventDestinations'] >= 1);
  delete s.state.config.configurationSets;
});
