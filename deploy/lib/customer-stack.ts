// The stack a customer deploys in their own AWS account to connect it to one SESami workspace.
// One template per delivery mode (see synth.ts for why): the mode decides which resources exist,
// so each template holds only what it deploys, and the tests can check each one exactly.
import { Aws, CfnCondition, CfnOutput, CfnParameter, Duration, Fn, SecretValue, Stack, StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { eventQueues, targetDeadLetterQueue } from './queues';
import { INGEST_SECRET_HEADER, SES_EVENT_TYPES } from './ses-events';

export type DeliveryMode = 'sqs' | 'api-destination' | 'event-bus';
export const DELIVERY_MODES: readonly DeliveryMode[] = ['sqs', 'api-destination', 'event-bus'];

/** How many sending identities (domains or addresses) the template takes; the first is required. */
export const MAX_SENDING_IDENTITIES = 5;

/** The event destination's name: `sesami doctor` looks for it on the configuration set. */
export const EVENT_DESTINATION_NAME = 'sesami-eventbridge';

// What SESami may do, and nothing else. Sending is scoped to the listed identities and the
// configuration set; the account and suppression-list calls have no resource-level permissions in
// IAM, so they need "*".
export const SEND_ACTIONS = ['ses:SendEmail', 'ses:SendRawEmail', 'ses:SendBulkEmail'];
export const ACCOUNT_ACTIONS = ['ses:GetAccount'];
export const SUPPRESSION_ACTIONS = [
  'ses:ListSuppressedDestinations',
  'ses:GetSuppressedDestination',
  'ses:PutSuppressedDestination',
  'ses:DeleteSuppressedDestination',
];
export const CONFIGURATION_SET_READ_ACTIONS = ['ses:GetConfigurationSet', 'ses:GetConfigurationSetEventDestinations'];
export const QUEUE_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:GetQueueAttributes',
];

export interface CustomerOnboardingStackProps extends StackProps {
  readonly mode: DeliveryMode;
}

export class CustomerOnboardingStack extends Stack {
  constructor(scope: Construct, id: string, props: CustomerOnboardingStackProps) {
    super(scope, id, {
      description: `SESami onboarding: IAM role, SES configuration set and event delivery (${props.mode})`,
      ...props,
    });
    const mode = props.mode;

    const sesamiAccountId = new CfnParameter(this, 'SesamiAccountId', {
      type: 'String',
      allowedPattern: '^[0-9]{12}$',
      constraintDescription: 'a 12-digit AWS account id',
      description: "SESami's AWS account: the only account allowed to assume the role",
    });
    const externalId = new CfnParameter(this, 'ExternalId', {
      type: 'String',
      minLength: 16,
      maxLength: 1224,
      allowedPattern: '^[A-Za-z0-9+=,.@:/_-]+$',
      constraintDescription: "the workspace's External ID exactly as SESami shows it (Settings > AWS)",
      description: "The workspace's External ID (Settings > AWS or `sesami connect`)",
    });
    const configurationSetName = new CfnParameter(this, 'ConfigurationSetName', {
      type: 'String',
      default: 'sesami',
      allowedPattern: '^[A-Za-z0-9_-]{1,64}$',
      constraintDescription: 'letters, digits, _ and -, at most 64',
      description: 'Name of the SES configuration set SESami sends through (created by this stack)',
    });
    // Fixed slots rather than one list: CloudFormation cannot turn a list of names into a list of
    // ARNs (Fn::Join's delimiter must be a literal), and an ARN per identity is what keeps the role
    // from sending as any other verified identity in the account.
    const identities: string[] = [];
    for (let i = 1; i <= MAX_SENDING_IDENTITIES; ++i) {
      const p = new CfnParameter(this, `SendingIdentity${i}`, {
        type: 'String',
        ...(i === 1 ? { minLength: 1 } : { default: '' }),
        allowedPattern: i === 1 ? '^[^\\s,*]+$' : '^[^\\s,*]*$',
        constraintDescription: 'a verified SES identity: a domain (example.com) or an address, no wildcards',
        description:
          i === 1
            ? 'A verified SES identity SESami may send from: a domain (example.com) or an email address'
            : 'Another verified identity (optional)',
      });
      const arn = this.formatArn({ service: 'ses', resource: 'identity', resourceName: p.valueAsString });
      if (i === 1) {
        identities.push(arn);
      } else {
        const present = new CfnCondition(this, `HasSendingIdentity${i}`, {
          expression: Fn.conditionNot(Fn.conditionEquals(p.valueAsString, '')),
        });
        identities.push(Fn.conditionIf(present.logicalId, arn, Aws.NO_VALUE).toString());
      }
    }

    // --- who: SESami's account, and only with this workspace's External ID -------------------
    const role = new iam.Role(this, 'SesamiRole', {
      assumedBy: new iam.AccountPrincipal(sesamiAccountId.valueAsString),
      externalIds: [externalId.valueAsString],
      maxSessionDuration: Duration.hours(1),
      description: 'SESami: send through the listed identities, read SES account state and events',
    });

    // --- the configuration set and its one event destination: every event type, default bus --
    const configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: configurationSetName.valueAsString,
      reputationMetrics: true,
      sendingEnabled: true,
    });
    const configurationSetArn = this.formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: configurationSetName.valueAsString,
    });
    // SES publishes to the default bus only; the rule below takes the events from there.
    const defaultBus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    const destination = new ses.ConfigurationSetEventDestination(this, 'EventDestination', {
      configurationSet,
      configurationSetEventDestinationName: EVENT_DESTINATION_NAME,
      destination: ses.EventDestination.eventBus(defaultBus),
      events: SES_EVENT_TYPES.map((e) => e.sending),
      enabled: true,
    });

    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'SendThroughListedIdentities',
        actions: SEND_ACTIONS,
        resources: [
          ...identities,
          configurationSetArn,
          // Templated sends name a template; templates live in this account and region.
          this.formatArn({ service: 'ses', resource: 'template', resourceName: '*' }),
        ],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ sid: 'ReadSendingQuota', actions: ACCOUNT_ACTIONS, resources: ['*'] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ sid: 'SyncSuppressionList', actions: SUPPRESSION_ACTIONS, resources: ['*'] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DoctorReadsConfigurationSet',
        actions: CONFIGURATION_SET_READ_ACTIONS,
        resources: [configurationSetArn],
      }),
    );

    // --- the rule: SES events of this configuration set only -------------------------------
    const rule = new events.Rule(this, 'SesEventsRule', {
      description: 'SES events of the SESami configuration set, to SESami',
      eventPattern: {
        source: ['aws.ses'],
        detailType: SES_EVENT_TYPES.map((e) => e.detailType),
        resources: [configurationSetArn],
      },
    });
    rule.node.addDependency(destination);

    new CfnOutput(this, 'RoleArn', { value: role.roleArn, description: 'Paste into SESami: Settings > AWS > Role ARN' });
    // "ConfigurationSet": the parameter already holds the name "ConfigurationSetName".
    new CfnOutput(this, 'ConfigurationSetOutput', {
      value: configurationSet.configurationSetName,
      description: 'Paste into SESami: Settings > AWS > Configuration set',
    }).overrideLogicalId('ConfigurationSet');
    new CfnOutput(this, 'DeliveryMode', { value: mode });
    new CfnOutput(this, 'Region', { value: Aws.REGION });

    if (mode === 'sqs') {
      const { queue, deadLetterQueue } = eventQueues(this, 'EventsQueue');
      // Events EventBridge could not put on the queue land next to the ones SESami failed on:
      // one place to look when events go missing.
      rule.addTarget(new targets.SqsQueue(queue, { deadLetterQueue }));
      queue.grant(role, ...QUEUE_ACTIONS);
      // The doctor reads the dead-letter queue's depth, nothing more.
      deadLetterQueue.grant(role, 'sqs:GetQueueAttributes');
      new CfnOutput(this, 'QueueUrl', { value: queue.queueUrl, description: 'Paste into SESami: Settings > AWS > Queue URL' });
      new CfnOutput(this, 'DeadLetterQueueUrl', { value: deadLetterQueue.queueUrl });
    } else if (mode === 'api-destination') {
      const ingestUrl = new CfnParameter(this, 'IngestUrl', {
        type: 'String',
        allowedPattern: '^https://[^\\s/]+(/[^\\s]*)?/ingest/eventbridge/[A-Za-z0-9_-]+$',
        constraintDescription: 'https://<your SESami>/ingest/eventbridge/<ingestToken>',
        description: "SESami's EventBridge endpoint with the workspace's ingest token",
      });
      const ingestSecret = new CfnParameter(this, 'IngestSecret', {
        type: 'String',
        noEcho: true,
        minLength: 16,
        description: "The workspace's ingest secret (sent in the " + INGEST_SECRET_HEADER + ' header)',
      });
      const connection = new events.Connection(this, 'SesamiConnection', {
        description: 'SESami ingest secret',
        authorization: events.Authorization.apiKey(INGEST_SECRET_HEADER, SecretValue.cfnParameter(ingestSecret)),
      });
      const apiDestination = new events.ApiDestination(this, 'SesamiIngest', {
        connection,
        endpoint: ingestUrl.valueAsString,
        httpMethod: events.HttpMethod.POST,
        rateLimitPerSecond: 50,
        description: "SESami's /ingest/eventbridge endpoint",
      });
      const deadLetterQueue = targetDeadLetterQueue(this, 'UndeliveredEvents');
      rule.addTarget(
        new targets.ApiDestination(apiDestination, {
          deadLetterQueue,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      );
      deadLetterQueue.grant(role, 'sqs:GetQueueAttributes');
      new CfnOutput(this, 'DeadLetterQueueUrl', { value: deadLetterQueue.queueUrl });
    } else {
      const busArn = new CfnParameter(this, 'SesamiEventBusArn', {
        type: 'String',
        allowedPattern: '^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/[A-Za-z0-9._/-]+$',
        constraintDescription: 'arn:aws:events:<region>:<SESami account>:event-bus/<name>',
        description: "SESami's event bus (the SesamiSide stack's EventBusArn output)",
      });
      const deadLetterQueue = targetDeadLetterQueue(this, 'UndeliveredEvents');
      rule.addTarget(
        new targets.EventBus(events.EventBus.fromEventBusArn(this, 'SesamiBus', busArn.valueAsString), {
          deadLetterQueue,
        }),
      );
      deadLetterQueue.grant(role, 'sqs:GetQueueAttributes');
      new CfnOutput(this, 'DeadLetterQueueUrl', { value: deadLetterQueue.queueUrl });
    }
  }
}
