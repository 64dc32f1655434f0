// SQS stand-in, JSON protocol (awsJson1_0, `X-Amz-Target: AmazonSQS.<Operation>`): SendMessage,
// ReceiveMessage (long polling, visibility timeout, receipt handles, ApproximateReceiveCount),
// DeleteMessage(Batch), ChangeMessageVisibility(Batch), GetQueueAttributes, GetQueueUrl.
// A queue with a RedrivePolicy moves a message to its dead-letter queue when a receive would
// exceed maxReceiveCount, as SQS does. Receipt handles change on every receive; deleting with an
// outdated one succeeds without deleting (SQS's documented behaviour).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { jsonError, sendJson } from './common.mjs';

const md5 = (s) => createHash('md5').update(s, 'utf8').digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const JSON_CT = 'application/x-amz-json-1.0';

class SqsError extends Error {
  constructor(status, shape, queryCode, message) {
    super(message);
    Object.assign(this, { status, shape, queryCode });
  }
}
const invalidParam = (m) => new SqsError(400, 'com.amazonaws.sqs#InvalidParameterValue', 'InvalidParameterValue', m);
const missingParam = (m) => new SqsError(400, 'com.amazonaws.sqs#MissingParameter', 'MissingParameter', m);

export class Queue {
  constructor(def, { accountId, baseUrl, region }) {
    this.name = def.name;
    this.accountId = def.accountId || accountId;
    this.url = `${baseUrl}/${this.accountId}/${this.name}`;
    this.arn = `arn:aws:sqs:${region}:${this.accountId}:${this.name}`;
    this.visibilityTimeout = def.visibilityTimeout ?? 30;
    this.allowAccounts = def.allowAccounts || [];
    this.redrive = def.deadLetterQueue ? { dlq: def.deadLetterQueue, maxReceiveCount: def.maxReceiveCount ?? 3 } : null;
    this.messages = []; // in arrival order
    this.deleted = 0;
    this.movedToDlq = 0;
  }
  counts(now) {
    let visible = 0, inflight = 0, delayed = 0;
    for (const m of this.messages) {
      if (m.delayedUntil > now) delayed++;
      else if (m.visibleAt > now) inflight++;
      else visible++;
    }
    return { visible, inflight, delayed };
  }
  add(body, attributes = {}, delaySeconds = 0) {
    const now = Date.now();
    const m = {
      id: randomUUID(), body, md5: md5(body), sentAt: now, receiveCount: 0, firstReceiveAt: 0,
      visibleAt: 0, delayedUntil: now + delaySeconds * 1000, handle: null, attributes,
    };
    this.messages.push(m);
    return m;
  }
}

export class Sqs {
  constructor(state) {
    this.state = state;
    this.queues = new Map(); // name → Queue (names are unique across accounts in the stand-in)
  }
  setBase(baseUrl) {
    const c = this.state.config;
    for (const def of c.queues || [])
      this.queues.set(def.name, new Queue(def, { accountId: c.accountId, baseUrl, region: c.region }));
  }
  queueByUrl(url) {
    if (!url) throw missingParam('The request must contain the parameter QueueUrl.');
    let path;
    try {
      path = new URL(url).pathname;
    } catch {
      throw invalidParam(`Value ${url} for parameter QueueUrl is invalid. Reason: Unable to parse.`);
    }
    const [, account, name] = path.split('/');
    const q = this.queues.get(name);
    if (!q || q.accountId !== account)
      throw new SqsError(400, 'com.amazonaws.sqs#QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
    return q;
  }
  authorize(q, principal, action) {
    if (principal.accountId === q.accountId || q.allowAccounts.includes(principal.accountId)) {
      if (!(principal.denyActions || []).includes(`sqs:${action}`)) return;
    }
    throw new SqsError(403, 'com.amazon.coral.service#AccessDeniedException', 'AccessDenied',
      `User: ${principal.arn} is not authorized to perform: sqs:${action} on resource: ${q.arn} because no identity-based policy allows the sqs:${action} action`);
  }

  async handle(req, res, target, bodyText, principal) {
    const action = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
    this.state.count('sqs', action || '(none)');
    if (this.state.fault(res, 'sqs', action, (r, f) => jsonError(r, { status: f.status, type: f.type || `com.amazonaws.sqs#${f.code}`, message: f.message, queryCode: f.code, fault: f.status >= 500 ? 'Receiver' : 'Sender' })))
      return;
    const delay = this.state.config.sqsDelayMs || 0;
    if (delay) await sleep(delay);
    let input;
    try {
      input = bodyText ? JSON.parse(bodyText) : {};
      if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('not an object');
    } catch {
      return jsonError(res, { status: 400, type: 'com.amazon.coral.service#SerializationException', message: 'Start of structure or map found where not expected.' });
    }
    try {
      const fn = {
        SendMessage: this.sendMessage, ReceiveMessage: this.receiveMessage, DeleteMessage: this.deleteMessage,
        DeleteMessageBatch: this.deleteMessageBatch, ChangeMessageVisibility: this.changeVisibility,
        ChangeMessageVisibilityBatch: this.changeVisibilityBatch, GetQueueAttributes: this.getQueueAttributes,
        GetQueueUrl: this.getQueueUrl,
      }[action];
      if (!fn) return jsonError(res, { status: 400, type: 'com.amazon.coral.service#UnknownOperationException', message: `Unknown operation ${target}` });
      const out = await fn.call(this, input, principal, action);
      sendJson(res, 200, out, JSON_CT);
    } catch (e) {
      if (!(e instanceof SqsError)) throw e;
      jsonError(res, { status: e.status, type: e.shape, message: e.message, queryCode: e.queryCode });
    }
  }

  sendMessage(input, principal, action) {
    const q = this.queueByUrl(input.QueueUrl);
    this.authorize(q, principal, action);
    if (typeof input.MessageBody !== 'string' || input.MessageBody === '')
      throw missingParam('The request must contain the parameter MessageBody.');
    if (Buffer.byteLength(input.MessageBody) > 262144)
      throw invalidParam('One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.');
    const m = q.add(input.MessageBody, {}, input.DelaySeconds || 0);
    return { MessageId: m.id, MD5OfMessageBody: m.md5 };
  }

  async receiveMessage(input, principal, action) {
    const q = this.queueByUrl(input.QueueUrl);
    this.authorize(q, principal, action);
    const max = input.MaxNumberOfMessages ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > 10)
      throw invalidParam(`Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
    const wait = input.WaitTimeSeconds ?? 0;
    if (!Number.isInteger(wait) || wait < 0 || wait > 20)
      throw invalidParam(`Value ${wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`);
    const vis = input.VisibilityTimeout ?? q.visibilityTimeout;
    if (!Number.isInteger(vis) || vis < 0 || vis > 43200)
      throw invalidParam(`Value ${vis} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.`);
    const wanted = new Set([...(input.AttributeNames || []), ...(input.MessageSystemAttributeNames || [])]);
    const deadline = Date.now() + wait * 1000;
    for (;;) {
      const got = this.take(q, max, vis);
      if (got.length || Date.now() >= deadline || this.state.closing) {
        if (!got.length) return {};
        return {
          Messages: got.map((m) => {
            const out = { MessageId: m.id, ReceiptHandle: m.handle, MD5OfBody: m.md5, Body: m.body };
            const attrs = {
              ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sentAt),
              ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt), SenderId: principal.userId || principal.accessKeyId,
            };
            const sel = {};
            for (const [k, v] of Object.entries(attrs)) if (wanted.has('All') || wanted.has(k)) sel[k] = v;
            if (Object.keys(sel).length) out.Attributes = sel;
            return out;
          }),
        };
      }
      await sleep(20);
    }
  }

  /** Takes up to max visible messages, redriving those past maxReceiveCount to the DLQ. */
  take(q, max, vis) {
    const now = Date.now();
    const got = [];
    for (let i = 0; i < q.messages.length && got.length < max; ) {
      const m = q.messages[i];
      if (m.delayedUntil > now || m.visibleAt > now) {
        ++i;
        continue;
      }
      if (q.redrive && m.receiveCount >= q.redrive.maxReceiveCount) {
        q.messages.splice(i, 1);
        const dlq = this.queues.get(q.redrive.dlq);
        if (dlq) {
          // The message keeps its id, body and receive count, as SQS's redrive does.
          Object.assign(m, { visibleAt: 0, handle: null, delayedUntil: 0 });
          dlq.messages.push(m);
        }
        q.movedToDlq++;
        continue;
      }
      m.receiveCount++;
      if (!m.firstReceiveAt) m.firstReceiveAt = now;
      m.visibleAt = now + vis * 1000;
      m.handle = `${q.name}:${m.id}:${randomBytes(24).toString('base64url')}`;
      got.push(m);
      ++i;
    }
    return got;
  }

  findByHandle(q, handle) {
    if (typeof handle !== 'string' || handle.split(':').length !== 3 || handle.split(':')[0] !== q.name)
      return { invalid: true };
    const id = handle.split(':')[1];
    const m = q.messages.find((x) => x.id === id);
    return { m, current: m && m.handle === handle };
  }

  deleteOne(q, handle) {
    const f = this.findByHandle(q, handle);
    if (f.invalid) throw new SqsError(400, 'com.amazonaws.sqs#ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`);
    if (f.m && f.current) {
      q.messages.splice(q.messages.indexOf(f.m), 1);
      q.deleted++;
    }
  }
  deleteMessage(input, principal, action) {
    const q = this.queueByUrl(input.QueueUrl);
    this.authorize(q, principal, action);
    if (!input.ReceiptHandle) throw missingParam('The request must contain the parameter ReceiptHandle.');
    this.deleteOne(q, input.ReceiptHandle);
    return {};
  }

  changeOne(q, handle, timeout) {
    const f = this.findByHandle(q, handle);
    if (f.invalid) throw new SqsError(400, 'com.amazonaws.sqs#ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`);
    if (!Number.isInteger(timeout) || timeout < 0 || timeout > 43200)
      throw invalidParam(`Value ${timeout} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200.`);
    const now = Date.now();
    if (!f.m || !f.current || f.m.visibleAt <= now)
      throw new SqsError(400, 'com.amazonaws.sqs#MessageNotInflight', 'AWS.SimpleQueueService.MessageNotInflight', 'Message does not exist or is not available for visibility timeout change.');
    f.m.visibleAt = now + timeout * 1000;
  }
  changeVisibility(input, principal, action) {
    const q = this.queueByUrl(input.QueueUrl);
    this.authorize(q, principal, action);
    if (!input.ReceiptHandle) throw missingParam('The request must contain the parameter ReceiptHandle.');
    this.changeOne(q, input.ReceiptHandle, input.VisibilityTimeout);
    return {};
  }

  batch(input, fn) {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length === 0)
      throw new SqsError(400, 'com.amazonaws.sqs#EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.');
    if (entries.length > 10)
      throw new SqsError(400, 'com.amazonaws.sqs#TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
    const ids = new Set();
    for (const e of entries) {
      if (typeof e.Id !== 'string' || !/^[\w-]{1,80}$/.test(e.Id))
        throw new SqsError(400, 'com.amazonaws.sqs#InvalidBatchEntryId', 'AWS.SimpleQueueService.InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.');
      if (ids.has(e.Id))
        throw new SqsError(400, 'com.amazonaws.sqs#BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', `Id ${e.Id} repeated.`);
      ids.add(e.Id);
    }
    const Successful = [], Failed = [];
    for (const e of entries) {
      try {
        fn(e);
        Successful.push({ Id: e.Id });
      } catch (err) {
        if (!(err instanceof SqsError)) throw err;
        Failed.push({ Id: e.Id, SenderFault: true, Code: err.queryCode, Message: err.message });
      }
    }
    return { Successful, Failed };
  }
  deleteMessageBatch(input, principal) {
    const q = this.queueByUrl(input.QueueUrl);
    this.authorize(q, principal, 'DeleteMessage');
    return this.batch(input, (e) => this.deleteOne(q, e.ReceiptHandle));
  }
  changeVisibilityBatch(input, principal) {
    const q = this.queueByUrl(input.QueueUrl);
    this.authorize(q, principal, 'ChangeMessageVisibility');
    return this.batch(input, (e) => this.changeOne(q, e.ReceiptHandle, e.VisibilityTimeout));
  }
  getQueueAttributes(input, principal, action) {
    const q = this.queueByUrl(input.QueueUrl);
    this.authorize(q, principal, action);
    const c = q.counts(Date.now());
    const all = {
      ApproximateNumberOfMessages: String(c.visible),
      ApproximateNumberOfMessagesNotVisible: String(c.inflight),
      ApproximateNumberOfMessagesDelayed: String(c.delayed),
      VisibilityTimeout: String(q.visibilityTimeout),
      QueueArn: q.arn,
    };
    if (q.redrive)
      all.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: this.queues.get(q.redrive.dlq)?.arn, maxReceiveCount: q.redrive.maxReceiveCount });
    const names = input.AttributeNames || [];
    const Attributes = {};
    for (const [k, v] of Object.entries(all)) if (names.includes('All') || names.includes(k)) Attributes[k] = v;
    return { Attributes };
  }
  getQueueUrl(input, principal, action) {
    const q = this.queues.get(input.QueueName);
    if (!q || q.accountId !== (input.QueueOwnerAWSAccountId || principal.accountId))
      throw new SqsError(400, 'com.amazonaws.sqs#QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
    this.authorize(q, principal, action);
    return { QueueUrl: q.url };
  }

  snapshot() {
    const now = Date.now();
    const out = {};
    for (const [name, q] of this.queues)
      out[name] = {
        url: q.url, arn: q.arn, ...q.counts(now), deleted: q.deleted, movedToDlq: q.movedToDlq,
        messages: q.messages.map((m) => ({ id: m.id, body: m.body, receiveCount: m.receiveCount, inflight: m.visibleAt > now })),
      };
    return out;
  }
}
