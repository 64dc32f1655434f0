// Verify's event-destination step in Chromium against a real `sesami serve` whose STS and SES are
// the signature-checking stand-ins (tests/aws/standins): the server reads the configuration set's
// event destinations through the customer's role, and the page names the missing event types
// (fail) or warns about missing engagement events and goes on.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { createStandins } from '../../../tests/aws/standins/server.mjs';
import { realErrors, signIn, startDashboard } from './harness.mjs';

const OWN = {
  accessKeyId: 'AKIASESAMITEST000001',
  secretAccessKey: 'sesami/own/secret/key/for/tests/only0000',
  accountId: '111122223333',
};
const ROLE = 'arn:aws:iam::444455556666:role/SesamiAccess';
const ALL = [
  'SEND',
  'REJECT',
  'BOUNCE',
  'COMPLAINT',
  'DELIVERY',
  'OPEN',
  'CLICK',
  'RENDERING_FAILURE',
  'DELIVERY_DELAY',
  'SUBSCRIPTION',
];

const aws = createStandins({
  region: 'us-east-1',
  accountId: OWN.accountId,
  credentials: [OWN],
  roles: [],
  account: {
    productionAccess: true,
    sendingEnabled: true,
    maxSendRate: 14,
    max24HourSend: 200,
    sentLast24Hours: 3,
  },
});
const awsBase = await aws.listen(0, '127.0.0.1');
after(() => aws.close());

const env = startDashboard({
  events: 100,
  serveOpts: {
    args: ['--aws-sts-endpoint', awsBase, '--aws-ses-endpoint', awsBase],
    env: {
      AWS_ACCESS_KEY_ID: OWN.accessKeyId,
      AWS_SECRET_ACCESS_KEY: OWN.secretAccessKey,
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
    },
  },
});
const csrf = async (page) => (await (await page.request.get('/auth/session')).json()).csrfToken;
const publishing = (types) => {
  aws.state.config.configurationSets = {
    sesami: {
      sendingEnabled: true,
      eventDestinations: [
        {
          Name: 'sesami-eventbridge',
          Enabled: true,
          MatchingEventTypes: types,
          EventBridgeDestination: {
            EventBusArn: 'arn:aws:events:us-east-1:444455556666:event-bus/default',
          },
        },
      ],
    },
  };
};

describe('settings: Verify checks the event destination', () => {
  it('names the missing BOUNCE and COMPLAINT as a failure, and only warns about OPEN', async () => {
    const page = await env.page();
    await signIn(page);
    const { externalId } = await (await page.request.get('/settings/aws')).json();
    aws.state.config.roles = [{ arn: ROLE, externalId, trustedAccounts: [OWN.accountId] }];
    publishing([
      'SEND',
      'DELIVERY',
      'REJECT',
      'RENDERING_FAILURE',
      'DELIVERY_DELAY',
      'OPEN',
      'CLICK',
      'SUBSCRIPTION',
    ]);
    const saved = await page.request.put('/settings/aws', {
      headers: { 'X-CSRF-Token': await csrf(page) },
      data: {
        roleArn: ROLE,
        region: 'us-east-1',
        configurationSet: 'sesami',
        queueUrl: 'https://sqs.us-east-1.amazonaws.com/444455556666/q',
        mode: 'sqs',
      },
    });
    assert.equal(saved.status(), 200);
    await page.goto('/#/settings');
    const section = page.getByTestId('aws-connection');
    await section.getByTestId('aws-status').filter({ hasText: 'Connected' }).waitFor();

    await section.getByTestId('verify-sts').click();
    const failed = section
      .getByTestId('verify-steps')
      .locator('li[data-code="aws.event_types_missing"]');
    await failed.waitFor({ timeout: 30_000 });
    assert.equal(await failed.getAttribute('data-status'), 'fail');
    const text = await failed.textContent();
    assert.match(text, /Event destination publishes what SESami needs/);
    assert.match(text, /does not publish BOUNCE, COMPLAINT/);
    assert.match(text, /tick BOUNCE, COMPLAINT;/);
    assert.equal(
      await section.getByTestId('verify-steps').locator('li').last().getAttribute('data-code'),
      'aws.event_types_missing',
      'nothing after the failure',
    );

    publishing(ALL.filter((t) => t !== 'OPEN'));
    await section.getByTestId('verify-sts').click();
    const warned = section.getByTestId('verify-steps').locator('li[data-status="warn"]');
    await warned.waitFor({ timeout: 30_000 });
    assert.equal(await warned.getAttribute('data-code'), 'aws.event_types_optional_missing');
    assert.match(await warned.textContent(), /tick OPEN\./);
    // A warning does not stop Verify: the test-send step follows (skipped without a From address).
    assert.equal(
      await section.getByTestId('verify-steps').locator('li').last().getAttribute('data-status'),
      'skip',
    );
    assert.ok(aws.state.calls['ses.GetConfigurationSetEventDestinations'] >= 2);
    assert.deepEqual(realErrors(page), []);
    await page.context().close();
  });
});
