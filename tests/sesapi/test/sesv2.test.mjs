// SES v2 through the real AWS SDK v3 client (@aws-sdk/client-sesv2), pointed at `sesami serve` by
// its endpoint alone: sends of every content kind reach the simulator, the attempt is logged and
// the simulator's events come back through GET /events exactly as for POST /mail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  SESv2Client, SendEmailCommand, SendBulkEmailCommand, GetAccountCommand,
  PutSuppressedDestinationCommand, GetSuppressedDestinationCommand,
  DeleteSuppressedDestinationCommand, ListSuppressedDestinationsCommand,
  CreateEmailTemplateCommand, GetEmailTemplateCommand, UpdateEmailTemplateCommand,
  DeleteEmailTemplateCommand, ListEmailTemplatesCommand, TestRenderEmailTemplateCommand,
} from '@aws-sdk/client-sesv2';
import { makeWorkspace, serve, api, eventsOf, attemptOf, credentials } from './harness.mjs';

let w, srv, ses;
before(async () => {
  w = await makeWorkspace();
  srv = await serve(w.db);
  ses = new SESv2Client({ region: 'us-east-1', endpoint: srv.url, credentials: credentials(w.ws) });
  // The templates the sends below name, made as an SES user makes them.
  await ses.send(new CreateEmailTemplateCommand({ TemplateName: 'welcome',
    TemplateContent: { Subject: 'Welcome {{name}}', Text: 'Hi {{name}}', Html: '<p>Hi {{name}}</p>' } }));
  await ses.send(new CreateEmailTemplateCommand({ TemplateName: 'news',
    TemplateContent: { Subject: 'Issue {{issue}}', Text: 'News #{{issue}}' } }));
});
after(async () => { ses?.destroy(); await srv?.stop(); w?.cleanup(); });

const FROM = 'shop@example.com';

test('SendEmail, Simple content: the simulator delivers, the attempt and events are there', async () => {
  const r = await ses.send(new SendEmailCommand({
    FromEmailAddress: FROM,
    Destination: { ToAddresses: ['success@simulator.amazonses.com'] },
    Content: { Simple: { Subject: { Data: 'Hello' }, Body: { Text: { Data: 'Hi there' }, Html: { Data: '<p>Hi</p>' } } } },
    EmailTags: [{ Name: 'campaign', Value: 'welcome' }],
  }));
  assert.match(r.MessageId, /^[0-9a-f]{16}-/);
  const at = await attemptOf(srv, w.ws.apiKey, r.MessageId);
  assert.equal(at.status, 'sent');
  assert.deepEqual(at.recipients, ['success@simulator.amazonses.com']);
  assert.equal(at.subject, 'Hello');
  const evs = await eventsOf(srv, w.ws.apiKey, r.MessageId, ['send', 'delivery']);
  assert.ok(evs.every((e) => e.messageId === r.MessageId));
});

test('SendEmail, Raw content to bounce@: Send and Bounce, and the address is suppressed', async () => {
  const mime = [
    `From: ${FROM}`, 'To: bounce@simulator.amazonses.com', 'Subject: raw one',
    'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'raw body', '',
  ].join('\r\n');
  const r = await ses.send(new SendEmailCommand({
    FromEmailAddress: FROM,
    Destination: { ToAddresses: ['bounce@simulator.amazonses.com'] },
    Content: { Raw: { Data: Buffer.from(mime) } },
  }));
  await eventsOf(srv, w.ws.apiKey, r.MessageId, ['send', 'bounce']);
  // The bounce put the address on SESami's list, which the SES suppression API reads.
  const until = Date.now() + 10000;
  for (;;) {
    try {
      const g = await ses.send(new GetSuppressedDestinationCommand({ EmailAddress: 'bounce@simulator.amazonses.com' }));
      assert.equal(g.SuppressedDestination.Reason, 'BOUNCE');
      break;
    } catch (e) {
      if (e.name !== 'NotFoundException' || Date.now() > until) throw e;
      await new Promise((res) => setTimeout(res, 200));
    }
  }
  // A suppressed recipient: the SDK's own MessageRejected, and nothing sent.
  await assert.rejects(ses.send(new SendEmailCommand({
    FromEmailAddress: FROM,
    Destination: { ToAddresses: ['bounce@simulator.amazonses.com'] },
    Content: { Simple: { Subject: { Data: 'again' }, Body: { Text: { Data: 'x' } } } },
  })), (e) => e.name === 'MessageRejected' && e.$metadata.httpStatusCode === 400);
});

test('SendEmail, Template content by name: rendered with SES\'s rules, delivered', async () => {
  const r = await ses.send(new SendEmailCommand({
    FromEmailAddress: FROM,
    Destination: { ToAddresses: ['success@simulator.amazonses.com'] },
    Content: { Template: { TemplateName: 'welcome', TemplateData: JSON.stringify({ name: 'Ann' }) } },
    ConfigurationSetName: 'sesami-simulator',
  }));
  const at = await attemptOf(srv, w.ws.apiKey, r.MessageId);
  assert.equal(at.subject, 'Welcome Ann');
  await eventsOf(srv, w.ws.apiKey, r.MessageId, ['send', 'delivery']);
  // An unknown template is SES's NotFoundException; missing data a BadRequestException.
  await assert.rejects(ses.send(new SendEmailCommand({
    FromEmailAddress: FROM, Destination: { ToAddresses: ['success@simulator.amazonses.com'] },
    Content: { Template: { TemplateName: 'nope', TemplateData: '{}' } },
  })), (e) => e.name === 'NotFoundException' && e.$metadata.httpStatusCode === 404);
  await assert.rejects(ses.send(new SendEmailCommand({
    FromEmailAddress: FROM, Destination: { ToAddresses: ['success@simulator.amazonses.com'] },
    Content: { Template: { TemplateName: 'welcome', TemplateData: '{}' } },
  })), (e) => e.name === 'BadRequestException' && /name/.test(e.message));
});

test('template commands: create, get, list, update, test-render, delete', async () => {
  await ses.send(new CreateEmailTemplateCommand({ TemplateName: 'receipt',
    TemplateContent: { Subject: 'Order {{order.id}}', Html: '{{#each items}}<li>{{this}}</li>{{/each}}' } }));
  await assert.rejects(ses.send(new CreateEmailTemplateCommand({ TemplateName: 'receipt',
    TemplateContent: { Subject: 's', Text: 't' } })), (e) => e.name === 'AlreadyExistsException');
  await assert.rejects(ses.send(new CreateEmailTemplateCommand({ TemplateName: 'broken',
    TemplateContent: { Subject: 's', Text: '{{#if x}}' } })), (e) => e.name === 'BadRequestException');
  const g = await ses.send(new GetEmailTemplateCommand({ TemplateName: 'receipt' }));
  assert.equal(g.TemplateContent.Subject, 'Order {{order.id}}');
  const l = await ses.send(new ListEmailTemplatesCommand({ PageSize: 2 }));
  assert.deepEqual(l.TemplatesMetadata.map((t) => t.TemplateName), ['news', 'receipt']);
  assert.ok(l.TemplatesMetadata[0].CreatedTimestamp instanceof Date);
  const rest = await ses.send(new ListEmailTemplatesCommand({ PageSize: 2, NextToken: l.NextToken }));
  assert.deepEqual(rest.TemplatesMetadata.map((t) => t.TemplateName), ['welcome']);
  const rendered = await ses.send(new TestRenderEmailTemplateCommand({ TemplateName: 'receipt',
    TemplateData: JSON.stringify({ order: { id: 7 }, items: ['a', 'b'] }) }));
  assert.match(rendered.RenderedTemplate, /^Subject: Order 7\r\n/);
  assert.match(rendered.RenderedTemplate, /<li>a<\/li><li>b<\/li>/);
  await assert.rejects(ses.send(new TestRenderEmailTemplateCommand({ TemplateName: 'receipt',
    TemplateData: '{}' })), (e) => e.name === 'BadRequestException' && /order\.id/.test(e.message));
  await ses.send(new UpdateEmailTemplateCommand({ TemplateName: 'receipt',
    TemplateContent: { Subject: 'Receipt', Text: 'ok' } }));
  const mine = await api(srv, w.ws.apiKey, 'GET', '/templates/receipt');
  assert.equal(mine.body.subject, 'Receipt');
  await ses.send(new DeleteEmailTemplateCommand({ TemplateName: 'receipt' }));
  await assert.rejects(ses.send(new GetEmailTemplateCommand({ TemplateName: 'receipt' })),
    (e) => e.name === 'NotFoundException' && e.$metadata.httpStatusCode === 404);
});

test('SendBulkEmail: one result per entry, in order, each a real send', async () => {
  const r = await ses.send(new SendBulkEmailCommand({
    FromEmailAddress: FROM,
    DefaultContent: { Template: { TemplateName: 'news', TemplateData: '{"issue":"1"}' } },
    BulkEmailEntries: [
      { Destination: { ToAddresses: ['success@simulator.amazonses.com'] } },
      { Destination: { ToAddresses: ['complaint@simulator.amazonses.com'] },
        ReplacementEmailContent: { ReplacementTemplate: { ReplacementTemplateData: '{"issue":"2"}' } } },
    ],
  }));
  assert.equal(r.BulkEmailEntryResults.length, 2);
  for (const e of r.BulkEmailEntryResults) assert.equal(e.Status, 'SUCCESS');
  await eventsOf(srv, w.ws.apiKey, r.BulkEmailEntryResults[1].MessageId, ['send', 'complaint']);
});

test('GetAccount: the simulator quota offline', async () => {
  const r = await ses.send(new GetAccountCommand({}));
  assert.equal(r.SendQuota.MaxSendRate, 14);
  assert.equal(r.SendingEnabled, true);
  assert.ok(r.SendQuota.SentLast24Hours >= 1);
});

test('suppression commands work on SESami\'s own list', async () => {
  await ses.send(new PutSuppressedDestinationCommand({ EmailAddress: 'Gone@Example.com', Reason: 'COMPLAINT' }));
  const g = await ses.send(new GetSuppressedDestinationCommand({ EmailAddress: 'gone@example.com' }));
  assert.equal(g.SuppressedDestination.Reason, 'COMPLAINT');
  assert.ok(g.SuppressedDestination.LastUpdateTime instanceof Date);
  const mine = await api(srv, w.ws.apiKey, 'GET', '/suppression-list?contains=gone');
  assert.equal(mine.body.entries[0].address, 'gone@example.com');
  const l = await ses.send(new ListSuppressedDestinationsCommand({ PageSize: 100 }));
  assert.ok(l.SuppressedDestinationSummaries.some((s) => s.EmailAddress === 'gone@example.com'));
  await ses.send(new DeleteSuppressedDestinationCommand({ EmailAddress: 'gone@example.com' }));
  await assert.rejects(ses.send(new GetSuppressedDestinationCommand({ EmailAddress: 'gone@example.com' })),
    (e) => e.name === 'NotFoundException' && e.$metadata.httpStatusCode === 404);
});

test('a wrong secret: SignatureDoesNotMatch; an unknown key id: InvalidClientTokenId', async () => {
  const bad = new SESv2Client({ region: 'us-east-1', endpoint: srv.url,
    credentials: { ...credentials(w.ws), secretAccessKey: w.ws.secretAccessKey.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) } });
  await assert.rejects(bad.send(new GetAccountCommand({})), (e) => e.name === 'SignatureDoesNotMatch' && e.$metadata.httpStatusCode === 403);
  const unknown = new SESv2Client({ region: 'us-east-1', endpoint: srv.url,
    credentials: { accessKeyId: 'SESAMIAAAAAAAAAAAAAA', secretAccessKey: w.ws.secretAccessKey } });
  await assert.rejects(unknown.send(new GetAccountCommand({})), (e) => e.name === 'InvalidClientTokenId');
  const region = new SESv2Client({ region: 'eu-west-1', endpoint: srv.url, credentials: credentials(w.ws) });
  await assert.rejects(region.send(new GetAccountCommand({})), (e) => e.name === 'SignatureDoesNotMatch');
  const skewed = new SESv2Client({ region: 'us-east-1', endpoint: srv.url, credentials: credentials(w.ws),
    systemClockOffset: -20 * 60 * 1000, maxAttempts: 1 });
  await assert.rejects(skewed.send(new GetAccountCommand({})), (e) => e.name === 'RequestExpired');
  for (const c of [bad, unknown, region, skewed]) c.destroy();
});

test('a send-scoped key sends but cannot manage the suppression list', async () => {
  const made = await api(srv, w.ws.apiKey, 'POST', '/api-keys', { name: 'app', scope: 'send' });
  assert.equal(made.status, 201);
  const app = new SESv2Client({ region: 'us-east-1', endpoint: srv.url,
    credentials: { accessKeyId: made.body.accessKeyId, secretAccessKey: made.body.secretAccessKey } });
  const r = await app.send(new SendEmailCommand({
    FromEmailAddress: FROM, Destination: { ToAddresses: ['success@simulator.amazonses.com'] },
    Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } } }));
  assert.ok(r.MessageId);
  await assert.rejects(app.send(new DeleteSuppressedDestinationCommand({ EmailAddress: 'bounce@simulator.amazonses.com' })),
    (e) => e.name === 'AccessDeniedException' && e.$metadata.httpStatusCode === 403);
  // Revoked: refused at once.
  assert.equal((await api(srv, w.ws.apiKey, 'DELETE', `/api-keys/${made.body.id}`)).status, 204);
  await assert.rejects(app.send(new GetAccountCommand({})), (e) => e.name === 'InvalidClientTokenId');
  app.destroy();
});
