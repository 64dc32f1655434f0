// The customer onboarding templates, one per delivery mode, checked as CloudFormation would
// deploy them: who may assume the role, what the role may do, which events reach SESami.
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import {
  ACCOUNT_ACTIONS,
  CONFIGURATION_SET_READ_ACTIONS,
  DELIVERY_MODES,
  DeliveryMode,
  EVENT_DESTINATION_NAME,
  QUEUE_ACTIONS,
  SEND_ACTIONS,
  SUPPRESSION_ACTIONS,
} from '../lib/customer-stack';
import { MAX_RECEIVE_COUNT } from '../lib/queues';
import { INGEST_SECRET_HEADER, SES_EVENT_TYPES } from '../lib/ses-events';
import { customerTemplateName, synthAll } from '../lib/synth';
import { allows, deploy, Deployment, fixtureEvents, Json, matches, repoRoot, resourcesOfType } from './cfn';

const templates = synthAll();
const SESAMI = '999988887777';
const CUSTOMER = '123456789012'; // the fixtures' account
const REGION = 'us-east-1'; // the fixtures' region
const EXTERNAL_ID = 'c2VzYW1pLXdvcmtzcGFjZS0x9f3a';

function params(mode: DeliveryMode, extra: Record<string, string> = {}): Deployment {
  const p: Record<string, string> = {
    SesamiAccountId: SESAMI,
    ExternalId: EXTERNAL_ID,
    ConfigurationSetName: 'ConfigSet', // the fixtures' configuration set
    SendingIdentity1: 'example.com',
  };
  if (mode === 'api-destination') {
    p.IngestUrl = 'https://sesami.example.net/ingest/eventbridge/tok_123';
    p.IngestSecret = 'secret-secret-secret';
  }
  if (mode === 'event-bus') p.SesamiEventBusArn = `arn:aws:events:${REGION}:${SESAMI}:event-bus/sesami-ses-events`;
  return { params: { ...p, ...extra }, region: REGION, accountId: CUSTOMER };
}

const arn = (kind: string, name: string) => `arn:aws:ses:${REGION}:${CUSTOMER}:${kind}/${name}`;

function roleOf(deployed: Json): { trust: Json; policies: Json[] } {
  const roles = resourcesOfType(deployed, 'AWS::IAM::Role').filter(([, r]) =>
    JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('sts:ExternalId'),
  );
  assert.equal(roles.length, 1, 'exactly one role for SESami');
  const [roleId, role] = roles[0];
  const policies = resourcesOfType(deployed, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.includes(roleId))
    .map(([, p]) => p.Properties.PolicyDocument);
  assert.equal(role.Properties.ManagedPolicyArns, undefined, 'no managed policies on the role');
  assert.equal(role.Properties.Policies, undefined, 'no inline policies besides the one checked');
  return { trust: role.Properties.AssumeRolePolicyDocument, policies };
}

for (const mode of DELIVERY_MODES) {
  const raw = templates.get(customerTemplateName(mode))!;
  const template = Template.fromJSON(raw);

  describe(`customer stack (${mode})`, () => {
    test('the role trusts SESami’s account only, and only with the External ID', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: Match.objectEquals({
          Version: '2012-10-17',
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Effect: 'Allow',
              Principal: { AWS: Match.anyValue() },
              Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'ExternalId' } } },
            },
          ],
        }),
      });
      const { trust } = roleOf(deploy(raw, params(mode)));
      const assume = (account: string, externalId?: string) =>
        allows([trust], {
          action: 'sts:AssumeRole',
          resource: 'role',
          principalAccount: account,
          context: externalId === undefined ? {} : { 'sts:ExternalId': externalId },
        });
      assert.equal(assume(SESAMI, EXTERNAL_ID), true);
      assert.equal(assume(SESAMI), false, 'without the External ID');
      assert.equal(assume(SESAMI, EXTERNAL_ID + 'x'), false, 'another workspace’s External ID');
      assert.equal(assume('111111111111', EXTERNAL_ID), false, 'another account');
    });

    test('the External ID parameter refuses short or malformed values', () => {
      assert.throws(() => deploy(raw, params(mode, { ExternalId: 'short' })), /ExternalId: shorter/);
      assert.throws(() => deploy(raw, params(mode, { ExternalId: 'has spaces in it, twenty' })), /ExternalId/);
      assert.throws(() => deploy(raw, params(mode, { SesamiAccountId: '12345' })), /SesamiAccountId/);
    });

    test('the role’s actions are exactly the listed ones, no wildcard actions', () => {
      const { policies } = roleOf(deploy(raw, params(mode)));
      const expected = new Set([
        ...SEND_ACTIONS,
        ...ACCOUNT_ACTIONS,
        ...SUPPRESSION_ACTIONS,
        ...CONFIGURATION_SET_READ_ACTIONS,
        ...(mode === 'sqs' ? QUEUE_ACTIONS : ['sqs:GetQueueAttributes']),
      ]);
      const granted = new Set<string>();
      for (const doc of policies) {
        for (const s of doc.Statement) {
          assert.equal(s.Effect, 'Allow');
          assert.equal(s.NotAction, undefined);
          assert.equal(s.NotResource, undefined);
          for (const a of [s.Action].flat()) {
            assert.ok(!a.includes('*'), `wildcard action ${a}`);
            granted.add(a);
          }
          // "*" only where IAM has no resource-level permission for the action.
          if ([s.Resource].flat().includes('*')) {
            for (const a of [s.Action].flat())
              assert.ok([...ACCOUNT_ACTIONS, ...SUPPRESSION_ACTIONS].includes(a), `${a} on "*"`);
          }
        }
      }
      assert.deepEqual([...granted].sort(), [...expected].sort());
    });

    test('sending is allowed through the listed identities and the configuration set only', () => {
      const one = roleOf(deploy(raw, params(mode))).policies;
      const send = (docs: Json[], resource: string, action = 'ses:SendEmail') => allows(docs, { action, resource });
      assert.equal(send(one, arn('identity', 'example.com')), true);
      assert.equal(send(one, arn('configuration-set', 'ConfigSet')), true);
      assert.equal(send(one, arn('identity', 'other.example')), false, 'an identity not listed');
      assert.equal(send(one, arn('configuration-set', 'other')), false, 'another configuration set');
      assert.equal(send(one, `arn:aws:ses:eu-west-1:${CUSTOMER}:identity/example.com`), false, 'another region');
      assert.equal(send(one, arn('identity', 'example.com'), 'ses:CreateEmailIdentity'), false);
      assert.equal(send(one, arn('identity', 'example.com'), 'ses:DeleteEmailIdentity'), false);

      // Optional identities appear only when given, with no empty "identity/" ARN left behind.
      const three = roleOf(
        deploy(raw, params(mode, { SendingIdentity2: 'news@other.org', SendingIdentity5: 'mail.example.org' })),
      ).policies;
      assert.equal(send(three, arn('identity', 'news@other.org')), true);
      assert.equal(send(three, arn('identity', 'mail.example.org')), true);
      const sendStatement = (docs: Json[]) =>
        docs.flatMap((d) => d.Statement).find((s: Json) => s.Sid === 'SendThroughListedIdentities');
      assert.deepEqual(
        sendStatement(three).Resource.filter((r: string) => r.includes(':identity/')),
        [arn('identity', 'example.com'), arn('identity', 'news@other.org'), arn('identity', 'mail.example.org')],
      );
      assert.ok(!sendStatement(one).Resource.some((r: string) => r.endsWith(':identity/')));
      assert.throws(() => deploy(raw, params(mode, { SendingIdentity2: '*' })), /SendingIdentity2/);
    });

    test('the configuration set publishes all ten event types to the default bus', () => {
      template.resourceCountIs('AWS::SES::ConfigurationSet', 1);
      template.resourceCountIs('AWS::SES::ConfigurationSetEventDestination', 1);
      const deployed = deploy(raw, params(mode));
      const [[, dest]] = resourcesOfType(deployed, 'AWS::SES::ConfigurationSetEventDestination');
      const d = dest.Properties.EventDestination;
      assert.equal(d.Name, EVENT_DESTINATION_NAME);
      assert.equal(d.Enabled, true);
      assert.equal(d.EventBridgeDestination.EventBusArn, `arn:aws:events:${REGION}:${CUSTOMER}:event-bus/default`);
      assert.deepEqual(
        [...d.MatchingEventTypes].sort(),
        ['bounce', 'click', 'complaint', 'delivery', 'deliveryDelay', 'open', 'reject', 'renderingFailure', 'send', 'subscription'],
      );
      assert.equal(dest.Properties.ConfigurationSetName, 'ConfigSet');
      template.hasResourceProperties('AWS::SES::ConfigurationSet', {
        Name: { Ref: 'ConfigurationSetName' },
        SendingOptions: { SendingEnabled: true },
      });
    });

    test('the rule takes every SES event type of this configuration set, and nothing else', () => {
      const deployed = deploy(raw, params(mode));
      const rules = resourcesOfType(deployed, 'AWS::Events::Rule');
      assert.equal(rules.length, 1);
      const pattern = rules[0][1].Properties.EventPattern;
      assert.equal(rules[0][1].Properties.EventBusName, undefined, 'the default bus, where SES publishes');
      const fixtures = fixtureEvents();
      assert.deepEqual(
        fixtures.map((e) => e['detail-type']).sort(),
        SES_EVENT_TYPES.map((e) => e.detailType).sort(),
        'one fixture per event type',
      );
      for (const e of fixtures) {
        assert.ok(matches(pattern, e), `${e['detail-type']} must reach SESami`);
        const otherSet = { ...e, resources: [arn('configuration-set', 'marketing')] };
        assert.ok(!matches(pattern, otherSet), `${e['detail-type']} of another configuration set must not`);
        assert.ok(!matches(pattern, { ...e, source: 'aws.sns' }));
      }
    });

    test('outputs: role ARN and configuration set', () => {
      const out = deploy(raw, params(mode)).Outputs;
      assert.match(out.RoleArn, /^arn:aws:iam::123456789012:role\//);
      assert.equal(out.ConfigurationSet, 'ConfigSet');
      assert.equal(out.DeliveryMode, mode);
      assert.equal(out.Region, REGION);
    });
  });
}

describe('customer stack (sqs): queue and dead-letter queue', () => {
  const raw = templates.get(customerTemplateName('sqs'))!;
  const template = Template.fromJSON(raw);
  const deployed = deploy(raw, params('sqs'));
  const queues = resourcesOfType(deployed, 'AWS::SQS::Queue');
  const main = queues.find(([, q]) => q.Properties.RedrivePolicy)!;
  const dlq = queues.find(([, q]) => !q.Properties.RedrivePolicy)!;
  const queueArn = (id: string) => `arn:aws:sqs:${REGION}:${CUSTOMER}:${id}`;
  const [[ruleId, rule]] = resourcesOfType(deployed, 'AWS::Events::Rule');
  const ruleArn = `arn:aws:events:${REGION}:${CUSTOMER}:rule/${ruleId}`;

  test('the queue redrives to its dead-letter queue after the maximum receive count', () => {
    template.resourceCountIs('AWS::SQS::Queue', 2);
    assert.deepEqual(main[1].Properties.RedrivePolicy, {
      deadLetterTargetArn: queueArn(dlq[0]),
      maxReceiveCount: MAX_RECEIVE_COUNT,
    });
    for (const [, q] of queues) {
      assert.equal(q.Properties.SqsManagedSseEnabled, true);
      assert.equal(q.Properties.MessageRetentionPeriod, 14 * 24 * 3600);
    }
  });

  test('the rule targets the queue, and undeliverable events go to the dead-letter queue', () => {
    assert.deepEqual(rule.Properties.Targets.map((t: Json) => [t.Arn, t.DeadLetterConfig?.Arn]), [
      [queueArn(main[0]), queueArn(dlq[0])],
    ]);
  });

  test('queue policies: only this rule may send, only over TLS', () => {
    const policyFor = (id: string) =>
      resourcesOfType(deployed, 'AWS::SQS::QueuePolicy').find(([, p]) =>
        p.Properties.Queues.includes(`https://sqs.${REGION}.amazonaws.com/${CUSTOMER}/${id}`),
      )![1].Properties.PolicyDocument;
    for (const id of [main[0], dlq[0]]) {
      const doc = policyFor(id);
      const send = (sourceArn: string, secure = 'true') =>
        allows([doc], {
          action: 'sqs:SendMessage',
          resource: queueArn(id),
          service: 'events.amazonaws.com',
          context: { 'aws:SourceArn': sourceArn, 'aws:SecureTransport': secure },
        });
      assert.equal(send(ruleArn), true, `${id}: the rule may send`);
      assert.equal(send(ruleArn + 'Other'), false, `${id}: another rule may not`);
      assert.equal(send(ruleArn, 'false'), false, `${id}: not without TLS`);
      assert.equal(
        allows([doc], { action: 'sqs:ReceiveMessage', resource: queueArn(id), principalAccount: '111111111111', context: { 'aws:SecureTransport': 'true' } }),
        false,
        'no other account reads the queue',
      );
    }
  });

  test('SESami’s role reads and deletes on the queue, and only looks at the dead-letter queue', () => {
    const { policies } = roleOf(deployed);
    for (const a of QUEUE_ACTIONS) assert.equal(allows(policies, { action: a, resource: queueArn(main[0]) }), true, a);
    assert.equal(allows(policies, { action: 'sqs:GetQueueAttributes', resource: queueArn(dlq[0]) }), true);
    assert.equal(allows(policies, { action: 'sqs:ReceiveMessage', resource: queueArn(dlq[0]) }), false);
    assert.equal(allows(policies, { action: 'sqs:SendMessage', resource: queueArn(main[0]) }), false);
    assert.equal(allows(policies, { action: 'sqs:ReceiveMessage', resource: queueArn('other') }), false);
  });

  test('outputs: queue URL for Settings > AWS', () => {
    assert.equal(deployed.Outputs.QueueUrl, `https://sqs.${REGION}.amazonaws.com/${CUSTOMER}/${main[0]}`);
  });
});

describe('customer stack (api-destination)', () => {
  const raw = templates.get(customerTemplateName('api-destination'))!;
  const template = Template.fromJSON(raw);

  test('the connection sends the ingest secret in the header SESami’s server reads', () => {
    // The server side of the contract: the route handler reads this header.
    const api = fs.readFileSync(path.join(repoRoot, 'server', 'http', 'api.cpp'), 'utf8');
    assert.ok(api.includes(`ctx.header("${INGEST_SECRET_HEADER}")`), 'server/http/api.cpp reads the header');
    template.hasResourceProperties('AWS::Events::Connection', {
      AuthorizationType: 'API_KEY',
      AuthParameters: {
        ApiKeyAuthParameters: { ApiKeyName: INGEST_SECRET_HEADER, ApiKeyValue: { Ref: 'IngestSecret' } },
      },
    });
    assert.equal(raw.Parameters.IngestSecret.NoEcho, true, 'the secret is never shown by CloudFormation');
  });

  test('the API destination posts to /ingest/eventbridge/{token}; failures go to a dead-letter queue', () => {
    const deployed = deploy(raw, params('api-destination'));
    const [[, dest]] = resourcesOfType(deployed, 'AWS::Events::ApiDestination');
    assert.equal(dest.Properties.HttpMethod, 'POST');
    assert.equal(dest.Properties.InvocationEndpoint, 'https://sesami.example.net/ingest/eventbridge/tok_123');
    const [[, rule]] = resourcesOfType(deployed, 'AWS::Events::Rule');
    const [target] = rule.Properties.Targets;
    assert.ok(target.DeadLetterConfig.Arn.startsWith(`arn:aws:sqs:${REGION}:${CUSTOMER}:`));
    assert.equal(target.RetryPolicy.MaximumEventAgeInSeconds, 24 * 3600);
    // The target role may invoke this destination and nothing else.
    const roleId = Object.entries<Json>(deployed.Resources).find(([id]) => target.RoleArn.endsWith(`role/${id}`))![0];
    const docs = resourcesOfType(deployed, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.includes(roleId))
      .map(([, p]) => p.Properties.PolicyDocument);
    assert.deepEqual([...new Set(docs.flatMap((d) => d.Statement.flatMap((s: Json) => [s.Action].flat())))], ['events:InvokeApiDestination']);
    for (const bad of ['http://sesami.example.net/ingest/eventbridge/tok', 'https://sesami.example.net/ingest/sns/tok', 'https://x/ingest/eventbridge/'])
      assert.throws(() => deploy(raw, params('api-destination', { IngestUrl: bad })), /IngestUrl/, bad);
    template.resourceCountIs('AWS::SQS::Queue', 1);
  });
});

describe('customer stack (event-bus)', () => {
  const raw = templates.get(customerTemplateName('event-bus'))!;

  test('the rule forwards to SESami’s bus with a role that may only put events there', () => {
    const deployed = deploy(raw, params('event-bus'));
    const busArn = `arn:aws:events:${REGION}:${SESAMI}:event-bus/sesami-ses-events`;
    const [[, rule]] = resourcesOfType(deployed, 'AWS::Events::Rule');
    const [target] = rule.Properties.Targets;
    assert.equal(target.Arn, busArn);
    assert.ok(target.DeadLetterConfig.Arn.startsWith(`arn:aws:sqs:${REGION}:${CUSTOMER}:`));
    const roleId = Object.keys(deployed.Resources).find((id) => target.RoleArn.endsWith(`role/${id}`))!;
    const docs = resourcesOfType(deployed, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.includes(roleId))
      .map(([, p]) => p.Properties.PolicyDocument);
    assert.equal(allows(docs, { action: 'events:PutEvents', resource: busArn }), true);
    assert.equal(allows(docs, { action: 'events:PutEvents', resource: busArn.replace('sesami-ses-events', 'other') }), false);
    assert.throws(() => deploy(raw, params('event-bus', { SesamiEventBusArn: 'arn:aws:sqs:us-east-1:999988887777:q' })), /SesamiEventBusArn/);
  });
});
