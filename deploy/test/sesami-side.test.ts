// The SESami-side stack: the bus admits the connected accounts' SES events only, and every one of
// them ends on the queue the poller reads (or its dead-letter queue).
import { Template } from 'aws-cdk-lib/assertions';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QUEUE_ACTIONS } from '../lib/customer-stack';
import { MAX_RECEIVE_COUNT } from '../lib/queues';
import { SESAMI_SIDE_TEMPLATE, synthAll } from '../lib/synth';
import { allows, deploy, fixtureEvents, Json, matches, resourcesOfType } from './cfn';

const raw = synthAll().get(SESAMI_SIDE_TEMPLATE)!;
const SESAMI = '999988887777';
const REGION = 'us-east-1';
const CONNECTED = ['123456789012', '210987654321'];
const deployed = deploy(raw, { params: { ConnectedAccountIds: CONNECTED.join(',') }, region: REGION, accountId: SESAMI });
const busArn = `arn:aws:events:${REGION}:${SESAMI}:event-bus/sesami-ses-events`;
const queueArn = (id: string) => `arn:aws:sqs:${REGION}:${SESAMI}:${id}`;

describe('SESami-side stack', () => {
  test('the bus policy admits the connected accounts’ SES events and nothing else', () => {
    Template.fromJSON(raw).resourceCountIs('AWS::Events::EventBusPolicy', 1);
    const [[, policy]] = resourcesOfType(deployed, 'AWS::Events::EventBusPolicy');
    assert.equal(policy.Properties.EventBusName, 'sesami-ses-events');
    const doc = { Statement: [policy.Properties.Statement] };
    const put = (account: string, source: string) =>
      allows([doc], { action: 'events:PutEvents', resource: busArn, principalAccount: account, context: { 'events:source': source } });
    for (const a of CONNECTED) assert.equal(put(a, 'aws.ses'), true, a);
    assert.equal(put('111111111111', 'aws.ses'), false, 'an account not connected');
    assert.equal(put(CONNECTED[0], 'com.attacker'), false, 'anything but SES events');
  });

  test('the rule takes every SES event type from connected accounts only', () => {
    const [[, rule]] = resourcesOfType(deployed, 'AWS::Events::Rule');
    assert.equal(rule.Properties.EventBusName, 'sesami-ses-events');
    const pattern = rule.Properties.EventPattern;
    const events = fixtureEvents();
    assert.equal(events.length, 10);
    for (const e of events) {
      assert.ok(matches(pattern, e), e['detail-type']);
      assert.ok(matches(pattern, { ...e, account: CONNECTED[1] }));
      assert.ok(!matches(pattern, { ...e, account: '111111111111' }));
    }
  });

  test('queue and dead-letter queue: redrive, rule target, queue policy', () => {
    const queues = resourcesOfType(deployed, 'AWS::SQS::Queue');
    assert.equal(queues.length, 2);
    const [mainId, main] = queues.find(([, q]) => q.Properties.RedrivePolicy)!;
    const [dlqId] = queues.find(([, q]) => !q.Properties.RedrivePolicy)!;
    assert.deepEqual(main.Properties.RedrivePolicy, { deadLetterTargetArn: queueArn(dlqId), maxReceiveCount: MAX_RECEIVE_COUNT });
    const [[ruleId, rule]] = resourcesOfType(deployed, 'AWS::Events::Rule');
    assert.deepEqual(rule.Properties.Targets.map((t: Json) => [t.Arn, t.DeadLetterConfig.Arn]), [[queueArn(mainId), queueArn(dlqId)]]);
    const [, qp] = resourcesOfType(deployed, 'AWS::SQS::QueuePolicy').find(([, p]) =>
      p.Properties.Queues.some((u: string) => u.endsWith(`/${mainId}`)),
    )!;
    const ruleArn = `arn:aws:events:${REGION}:${SESAMI}:rule/${ruleId}`;
    const send = (src: string) =>
      allows([qp.Properties.PolicyDocument], {
        action: 'sqs:SendMessage',
        resource: queueArn(mainId),
        service: 'events.amazonaws.com',
        context: { 'aws:SourceArn': src, 'aws:SecureTransport': 'true' },
      });
    assert.equal(send(ruleArn), true);
    assert.equal(send(`arn:aws:events:${REGION}:111111111111:rule/x`), false);
  });

  test('the poller policy reads the queue and nothing more', () => {
    const [[, mp]] = resourcesOfType(deployed, 'AWS::IAM::ManagedPolicy');
    const doc = mp.Properties.PolicyDocument;
    const queues = resourcesOfType(deployed, 'AWS::SQS::Queue');
    const [mainId] = queues.find(([, q]) => q.Properties.RedrivePolicy)!;
    const [dlqId] = queues.find(([, q]) => !q.Properties.RedrivePolicy)!;
    for (const a of QUEUE_ACTIONS) assert.equal(allows([doc], { action: a, resource: queueArn(mainId) }), true, a);
    assert.equal(allows([doc], { action: 'sqs:ReceiveMessage', resource: queueArn(dlqId) }), false);
    assert.equal(allows([doc], { action: 'sqs:SendMessage', resource: queueArn(mainId) }), false);
    for (const s of doc.Statement) for (const a of [s.Action].flat()) assert.ok(!a.includes('*'), a);
  });

  test('outputs: bus ARN for the customers, queue URL for the poller', () => {
    assert.equal(deployed.Outputs.EventBusArn, busArn);
    assert.match(deployed.Outputs.QueueUrl, new RegExp(`^https://sqs\\.${REGION}\\.amazonaws\\.com/${SESAMI}/`));
  });
});
