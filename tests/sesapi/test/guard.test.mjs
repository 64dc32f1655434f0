// The reputation guard's pause as the AWS SDK v3 clients see it: SendBulkEmail answers SES's
// SendingPausedException while bulk sending is paused; single sends go on unless the workspace
// chose to pause them too, and then SESv2 SendEmail answers SendingPausedException and v1
// SendEmail (Query API) AccountSendingPausedException — the errors SES itself gives a paused
// account, so the SDKs' own handling applies. Resuming lets them through again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SESv2Client, SendEmailCommand, SendBulkEmailCommand } from '@aws-sdk/client-sesv2';
import { SESClient, SendEmailCommand as SendEmailV1 } from '@aws-sdk/client-ses';
import { makeWorkspace, serve, api, credentials, bin, repo } from './harness.mjs';

const run = promisify(execFile);
const ACCOUNT = '123456789012';
let w, srv, v2, v1;

before(async () => {
  w = await makeWorkspace();
  await run(bin, ['workspace', 'connect-account', w.ws.id, ACCOUNT, '--db', w.db], { cwd: w.dir });
  srv = await serve(w.db, ['--ses-api-address', '127.0.0.1:0']);
  v2 = new SESv2Client({ region: 'us-east-1', endpoint: srv.sesUrl, credentials: credentials(w.ws) });
  v1 = new SESClient({ region: 'us-east-1', endpoint: srv.sesUrl, credentials: credentials(w.ws) });
  // The template the bulk sends name: SESami refuses an unknown one, as SES does.
  const t = await api(srv, w.ws.apiKey, 'POST', '/templates', { name: 'news', subject: 'News', text: 'News' });
  assert.equal(t.status, 201);
});
after(async () => { v2?.destroy(); v1?.destroy(); await srv?.stop(); w?.cleanup(); });

// An SES event for a real recipient, timed now, posted as the EventBridge API destination does.
async function ingest(kind, rcpt, mid) {
  const e = JSON.parse(readFileSync(join(repo, 'tests', 'fixtures', 'eventbridge', `event-${kind}.json`), 'utf8'));
  const now = new Date().toISOString();
  e.id = `guard-${kind}-${mid}`;
  e.time = now.replace(/\.\d+Z$/, 'Z');
  Object.assign(e.detail.mail, { timestamp: now, messageId: mid, destination: [rcpt] });
  e.detail.mail.commonHeaders.messageId = mid;
  if (kind === 'bounce') {
    e.detail.bounce.timestamp = now;
    e.detail.bounce.bouncedRecipients[0].emailAddress = rcpt;
  }
  const res = await fetch(`${srv.url}/ingest/eventbridge/${w.ws.ingestToken}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Sesami-Secret': w.ws.ingestSecret },
    body: JSON.stringify(e),
  });
  assert.equal(res.status, 200, await res.text());
}

const single = () => new SendEmailCommand({
  FromEmailAddress: 'shop@example.com',
  Destination: { ToAddresses: ['success@simulator.amazonses.com'] },
  Content: { Simple: { Subject: { Data: 'hi' }, Body: { Text: { Data: 'hi' } } } },
});
const bulk = () => new SendBulkEmailCommand({
  FromEmailAddress: 'shop@example.com',
  DefaultContent: { Template: { TemplateName: 'news', TemplateData: '{}' } },
  BulkEmailEntries: [{ Destination: { ToAddresses: ['success@simulator.amazonses.com'] } }],
});
const singleV1 = () => new SendEmailV1({
  Source: 'shop@example.com',
  Destination: { ToAddresses: ['success@simulator.amazonses.com'] },
  Message: { Subject: { Data: 'v1' }, Body: { Text: { Data: 'v1' } } },
});

test('paused: SendBulkEmail gets SendingPausedException; single sends by the workspace\'s choice', async () => {
  // Judge from the first send (the default waits for 100), so one bounce in one send pauses.
  const s = await api(srv, w.ws.apiKey, 'PATCH', '/reputation/settings', { minSends: 1 });
  assert.equal(s.status, 200);
  assert.equal((await v2.send(bulk())).BulkEmailEntryResults[0].Status, 'SUCCESS');
  await ingest('send', 'gone@example.org', 'guard-1');
  await ingest('bounce', 'gone@example.org', 'guard-1');
  assert.equal((await api(srv, w.ws.apiKey, 'GET', '/reputation')).body.status, 'paused');

  await assert.rejects(v2.send(bulk()), (e) => {
    assert.equal(e.name, 'SendingPausedException');
    assert.equal(e.$metadata.httpStatusCode, 400);
    assert.match(e.message, /reputation guard/);
    return true;
  });
  assert.match((await v2.send(single())).MessageId, /^[0-9a-f]{16}-/);
  assert.match((await v1.send(singleV1())).MessageId, /^[0-9a-f]{16}-/);

  await api(srv, w.ws.apiKey, 'PATCH', '/reputation/settings', { pauseSingleSends: true });
  await assert.rejects(v2.send(single()), { name: 'SendingPausedException' });
  await assert.rejects(v1.send(singleV1()), { name: 'AccountSendingPausedException' });

  const r = await api(srv, w.ws.apiKey, 'POST', '/reputation/resume');
  assert.equal(r.status, 200);
  assert.match((await v2.send(single())).MessageId, /^[0-9a-f]{16}-/);
  assert.equal((await v2.send(bulk())).BulkEmailEntryResults[0].Status, 'SUCCESS');
});
