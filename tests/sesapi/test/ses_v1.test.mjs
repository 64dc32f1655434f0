// SES v1 (the Query API: form-encoded POST /, XML answers) through the real SESClient of the AWS
// SDK v3 (@aws-sdk/client-ses): SendEmail, SendRawEmail, SendTemplatedEmail, GetSendQuota, and
// its errors as the SDK knows them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  SESClient, SendEmailCommand, SendRawEmailCommand, SendTemplatedEmailCommand, GetSendQuotaCommand,
} from '@aws-sdk/client-ses';
import { makeWorkspace, serve, api, eventsOf, attemptOf, credentials } from './harness.mjs';

let w, srv, ses;
before(async () => {
  w = await makeWorkspace();
  // The SES API alone on its own listener (--ses-api-address): the endpoint an app is given.
  srv = await serve(w.db, ['--ses-api-address', '127.0.0.1:0']);
  ses = new SESClient({ region: 'us-east-1', endpoint: srv.sesUrl, credentials: credentials(w.ws) });
});
after(async () => { ses?.destroy(); await srv?.stop(); w?.cleanup(); });

test('SendEmail: delivered by the simulator, logged, its events back', async () => {
  const r = await ses.send(new SendEmailCommand({
    Source: 'shop@example.com',
    Destination: { ToAddresses: ['success@simulator.amazonses.com'] },
    Message: { Subject: { Data: 'v1 hello' }, Body: { Text: { Data: 'plain' }, Html: { Data: '<b>x</b>' } } },
    Tags: [{ Name: 'campaign', Value: 'v1' }],
  }));
  assert.match(r.MessageId, /^[0-9a-f]{16}-/);
  assert.equal((await attemptOf(srv, w.ws.apiKey, r.MessageId)).subject, 'v1 hello');
  await eventsOf(srv, w.ws.apiKey, r.MessageId, ['send', 'delivery']);
});

test('SendRawEmail without Destinations: the recipients of the message\'s headers', async () => {
  const mime = ['From: Shop <shop@example.com>', 'To: bounce@simulator.amazonses.com', 'Subject: raw v1',
    'MIME-Version: 1.0', 'Content-Type: text/plain', '', 'body', ''].join('\r\n');
  const r = await ses.send(new SendRawEmailCommand({ RawMessage: { Data: Buffer.from(mime) } }));
  const at = await attemptOf(srv, w.ws.apiKey, r.MessageId);
  assert.deepEqual(at.recipients, ['bounce@simulator.amazonses.com']);
  await eventsOf(srv, w.ws.apiKey, r.MessageId, ['send', 'bounce']);
});

test('SendTemplatedEmail, and a suppressed recipient is the SDK\'s MessageRejected', async () => {
  assert.equal((await api(srv, w.ws.apiKey, 'POST', '/templates',
    { name: 'welcome', subject: 'Welcome {{name}}', text: 'Hi {{name}}' })).status, 201);
  await assert.rejects(ses.send(new SendTemplatedEmailCommand({
    Source: 'shop@example.com', Destination: { ToAddresses: ['success@simulator.amazonses.com'] },
    Template: 'nope', TemplateData: '{}',
  })), (e) => e.name === 'TemplateDoesNotExistException' || e.Code === 'TemplateDoesNotExist');
  const r = await ses.send(new SendTemplatedEmailCommand({
    Source: 'shop@example.com', Destination: { ToAddresses: ['success@simulator.amazonses.com'] },
    Template: 'welcome', TemplateData: '{"name":"Ann"}',
  }));
  assert.ok(r.MessageId);
  assert.equal((await attemptOf(srv, w.ws.apiKey, r.MessageId)).subject, 'Welcome Ann');
  assert.equal((await api(srv, w.ws.apiKey, 'POST', '/suppression-list', { address: 'gone@example.com' })).status, 201);
  await assert.rejects(ses.send(new SendEmailCommand({
    Source: 'shop@example.com', Destination: { ToAddresses: ['gone@example.com'] },
    Message: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } },
  })), (e) => e.name === 'MessageRejected' && e.$metadata.httpStatusCode === 400);
});

test('GetSendQuota, and a wrong secret is SignatureDoesNotMatch', async () => {
  const q = await ses.send(new GetSendQuotaCommand({}));
  assert.equal(q.MaxSendRate, 14);
  assert.ok(q.SentLast24Hours >= 1);
  const bad = new SESClient({ region: 'us-east-1', endpoint: srv.sesUrl,
    credentials: { ...credentials(w.ws), secretAccessKey: 'x'.repeat(40) } });
  // That listener serves the SES API and nothing else.
  assert.equal((await fetch(`${srv.sesUrl}/health`)).status, 404);
  assert.equal((await fetch(`${srv.url}/health`)).status, 200);
  await assert.rejects(bad.send(new GetSendQuotaCommand({})), (e) => e.name === 'SignatureDoesNotMatch');
  bad.destroy();
});
