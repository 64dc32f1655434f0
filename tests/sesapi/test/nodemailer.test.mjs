// nodemailer's SES transport (it sends Raw content through SESv2Client) with an attachment, and
// SESami's throttling answered so that the SDK's own retry handles it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { makeWorkspace, serve, api, eventsOf, attemptOf, credentials } from './harness.mjs';

let w, srv;
before(async () => {
  w = await makeWorkspace();
  // The simulator's first 4 calls answer throttled: SESami's own 4 tries of the first request
  // run out, it answers TooManyRequestsException, and the SDK's retry then gets through.
  srv = await serve(w.db, ['--test-simulator-throttle', '4', '--test-mail-backoff-ms', '1']);
});
after(async () => { await srv?.stop(); w?.cleanup(); });

test('throttling is retried by the SDK itself and succeeds', async () => {
  const ses = new SESv2Client({ region: 'us-east-1', endpoint: srv.url, credentials: credentials(w.ws) });
  const r = await ses.send(new SendEmailCommand({
    FromEmailAddress: 'shop@example.com', Destination: { ToAddresses: ['success@simulator.amazonses.com'] },
    Content: { Simple: { Subject: { Data: 'retry me' }, Body: { Text: { Data: 'x' } } } } }));
  assert.ok(r.MessageId);
  assert.ok(r.$metadata.attempts >= 2, `the SDK made ${r.$metadata.attempts} attempts`);
  const log = await api(srv, w.ws.apiKey, 'GET', '/mail/attempts?limit=10');
  const mine = log.body.attempts.filter((a) => a.subject === 'retry me');
  assert.deepEqual(mine.map((a) => a.status).sort(), ['failed', 'sent']);
  assert.equal(mine.find((a) => a.status === 'failed').error.code, 'mail.throttled');
  ses.destroy();
});

test('nodemailer\'s SES transport sends a message with an attachment', async () => {
  const sesClient = new SESv2Client({ region: 'us-east-1', endpoint: srv.url, credentials: credentials(w.ws) });
  const transport = nodemailer.createTransport({ SES: { sesClient, SendEmailCommand } });
  const info = await transport.sendMail({
    from: 'Shop <shop@example.com>',
    to: 'success@simulator.amazonses.com',
    subject: 'Your invoice',
    text: 'Attached.',
    attachments: [{ filename: 'invoice.txt', content: 'total: 42 EUR' }],
  });
  const messageId = info.response;  // nodemailer answers SES's MessageId as the response
  assert.match(messageId, /^[0-9a-f]{16}-/);
  const at = await attemptOf(srv, w.ws.apiKey, messageId);
  assert.equal(at.status, 'sent');
  assert.deepEqual(at.recipients, ['success@simulator.amazonses.com']);
  await eventsOf(srv, w.ws.apiKey, messageId, ['send', 'delivery']);
  sesClient.destroy();
});
