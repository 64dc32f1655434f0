// The stack for a SESami that runs in AWS and takes customers' events on its own bus (delivery
// mode "event-bus"): the bus admits the connected accounts' SES events, a rule puts them on a
// queue with a dead-letter queue, and SESami's poller reads the queue with the managed policy.
import { CfnOutput, CfnParameter, Stack, StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { QUEUE_ACTIONS } from './customer-stack';
import { eventQueues } from './queues';
import { SES_EVENT_TYPES } from './ses-events';

export class SesamiSideStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description: "SESami's event bus for connected customer accounts, with a queue for the poller",
      ...props,
    });

    const accounts = new CfnParameter(this, 'ConnectedAccountIds', {
      type: 'CommaDelimitedList',
      description: 'AWS account ids of the connected customers, comma-separated (update the stack to add one)',
    });
    const busName = new CfnParameter(this, 'EventBusName', {
      type: 'String',
      default: 'sesami-ses-events',
      allowedPattern: '^[A-Za-z0-9._-]{1,256}$',
      description: 'Name of the event bus customers send their SES events to',
    });

    const bus = new events.EventBus(this, 'Bus', { eventBusName: busName.valueAsString });
    // Only the listed accounts, and only SES events: a connected account cannot use the bus to
    // inject anything else.
    new events.CfnEventBusPolicy(this, 'ConnectedAccountsMayPut', {
      eventBusName: bus.eventBusName,
      statementId: 'SesamiConnectedAccounts',
      statement: {
        Sid: 'SesamiConnectedAccounts',
        Effect: 'Allow',
        Principal: { AWS: accounts.valueAsList },
        Action: 'events:PutEvents',
        Resource: bus.eventBusArn,
        Condition: { StringEquals: { 'events:source': 'aws.ses' } },
      },
    });

    const { queue, deadLetterQueue } = eventQueues(this, 'EventsQueue');
    new events.Rule(this, 'SesEventsRule', {
      eventBus: bus,
      description: 'SES events from connected accounts, to the queue SESami polls',
      eventPattern: {
        source: ['aws.ses'],
        detailType: SES_EVENT_TYPES.map((e) => e.detailType),
        account: accounts.valueAsList,
      },
      targets: [new targets.SqsQueue(queue, { deadLetterQueue })],
    });

    const poller = new iam.ManagedPolicy(this, 'PollerPolicy', {
      description: "Attach to SESami's runtime role: read and delete messages on the events queue",
    });
    poller.addStatements(
      new iam.PolicyStatement({ sid: 'PollEvents', actions: QUEUE_ACTIONS, resources: [queue.queueArn] }),
      new iam.PolicyStatement({
        sid: 'WatchDeadLetters',
        actions: ['sqs:GetQueueAttributes'],
        resources: [deadLetterQueue.queueArn],
      }),
    );

    new CfnOutput(this, 'EventBusArn', { value: bus.eventBusArn, description: 'Customers pass this as SesamiEventBusArn' });
    new CfnOutput(this, 'QueueUrl', { value: queue.queueUrl, description: 'SESami polls this queue' });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: deadLetterQueue.queueUrl });
    new CfnOutput(this, 'PollerPolicyArn', { value: poller.managedPolicyArn });
  }
}
