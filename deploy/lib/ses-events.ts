// The ten SES event types, as the configuration set names them and as EventBridge's detail-type
// spells them ("Monitoring email sending using Amazon EventBridge"). One list so the event
// destination and the rule cannot drift apart: an event type the destination publishes but the
// rule does not match is exactly the "it sends but no events show up" failure.
import * as ses from 'aws-cdk-lib/aws-ses';

export interface SesEventType {
  readonly sending: ses.EmailSendingEvent;
  readonly detailType: string;
}

export const SES_EVENT_TYPES: readonly SesEventType[] = [
  { sending: ses.EmailSendingEvent.SEND, detailType: 'Email Sent' },
  { sending: ses.EmailSendingEvent.REJECT, detailType: 'Email Rejected' },
  { sending: ses.EmailSendingEvent.BOUNCE, detailType: 'Email Bounced' },
  { sending: ses.EmailSendingEvent.COMPLAINT, detailType: 'Email Complaint Received' },
  { sending: ses.EmailSendingEvent.DELIVERY, detailType: 'Email Delivered' },
  { sending: ses.EmailSendingEvent.OPEN, detailType: 'Email Opened' },
  { sending: ses.EmailSendingEvent.CLICK, detailType: 'Email Clicked' },
  { sending: ses.EmailSendingEvent.RENDERING_FAILURE, detailType: 'Email Rendering Failed' },
  { sending: ses.EmailSendingEvent.DELIVERY_DELAY, detailType: 'Email Delivery Delayed' },
  { sending: ses.EmailSendingEvent.SUBSCRIPTION, detailType: 'Email Subscribed' },
];

/** The header SESami's POST /ingest/eventbridge/{token} reads the workspace's ingest secret from. */
export const INGEST_SECRET_HEADER = 'X-Sesami-Secret';
