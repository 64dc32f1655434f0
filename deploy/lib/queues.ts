import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Receives after which a message the poller keeps failing on moves to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

export interface EventQueues {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
}

/**
 * The queue SESami polls and its dead-letter queue. SSE-SQS rather than a KMS key: EventBridge
 * can deliver to it without a key policy, and the customer pays for no key. Retention is the
 * maximum (14 days) so a SESami outage of days loses nothing.
 */
export function eventQueues(scope: Construct, id: string): EventQueues {
  const deadLetterQueue = new sqs.Queue(scope, `${id}DeadLetter`, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    // Longer than one poll-and-commit round, so a message is not handed out twice while SESami
    // is still storing it (a second delivery would be deduplicated anyway, but costs a receive).
    visibilityTimeout: Duration.seconds(60),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
  });
  return { queue, deadLetterQueue };
}

/** A dead-letter queue for a rule target: events EventBridge could not deliver after its retries. */
export function targetDeadLetterQueue(scope: Construct, id: string): sqs.Queue {
  return new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
}
