// Just enough of CloudFormation, IAM and EventBridge to ask the templates behavioural questions
// ("may SESami's account assume the role with another External ID?", "does a Bounce event of
// another configuration set reach the queue?") instead of only comparing JSON shapes.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type Json = any;

export interface Deployment {
  readonly params: Record<string, string | string[]>;
  readonly region: string;
  readonly accountId: string;
  readonly partition?: string;
}

const NO_VALUE = Symbol('AWS::NoValue');

/** Physical id a resource gets in the evaluation: its logical id, or an ARN built from it. */
function physical(logicalId: string, resource: Json, d: Deployment, template: Json): { ref: string; arn: string } {
  const p = d.partition ?? 'aws';
  switch (resource.Type) {
    case 'AWS::SQS::Queue':
      return {
        ref: `https://sqs.${d.region}.amazonaws.com/${d.accountId}/${logicalId}`,
        arn: `arn:${p}:sqs:${d.region}:${d.accountId}:${logicalId}`,
      };
    case 'AWS::IAM::Role':
      return { ref: logicalId, arn: `arn:${p}:iam::${d.accountId}:role/${logicalId}` };
    case 'AWS::Events::Rule':
      return { ref: logicalId, arn: `arn:${p}:events:${d.region}:${d.accountId}:rule/${logicalId}` };
    case 'AWS::SES::ConfigurationSet':
      return { ref: resolveIn(resource.Properties.Name, d, template), arn: '' };
    case 'AWS::Events::EventBus': {
      const name = resolveIn(resource.Properties.Name, d, template);
      return { ref: name, arn: `arn:${p}:events:${d.region}:${d.accountId}:event-bus/${name}` };
    }
    default:
      return { ref: logicalId, arn: `arn:${p}:cloudformation:${d.region}:${d.accountId}:${logicalId}` };
  }
}

function resolveIn(v: Json, d: Deployment, template: Json | undefined): Json {
  const r = (x: Json): Json => resolveIn(x, d, template);
  if (Array.isArray(v)) return v.map(r).filter((x) => x !== NO_VALUE);
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v);
  if (keys.length === 1) {
    const [k] = keys;
    const a = v[k];
    switch (k) {
      case 'Ref':
        if (a === 'AWS::Partition') return d.partition ?? 'aws';
        if (a === 'AWS::Region') return d.region;
        if (a === 'AWS::AccountId') return d.accountId;
        if (a === 'AWS::NoValue') return NO_VALUE;
        if (a === 'AWS::URLSuffix') return 'amazonaws.com';
        if (template?.Parameters?.[a]) {
          const given = d.params[a] ?? template.Parameters[a].Default;
          if (given === undefined) throw new Error(`parameter ${a} has no value and no default`);
          return template.Parameters[a].Type === 'CommaDelimitedList' && typeof given === 'string'
            ? given.split(',')
            : given;
        }
        if (template?.Resources?.[a]) return physical(a, template.Resources[a], d, template).ref;
        throw new Error(`Ref to unknown ${a}`);
      case 'Fn::GetAtt': {
        const [id, attr] = a;
        const res = template?.Resources?.[id];
        if (!res) throw new Error(`GetAtt of unknown ${id}`);
        if (attr === 'Arn') return physical(id, res, d, template).arn;
        if (attr === 'QueueUrl') return physical(id, res, d, template).ref;
        if (attr === 'Name') return physical(id, res, d, template).ref;
        return `${id}.${attr}`;
      }
      case 'Fn::Join':
        return r(a[1]).join(a[0]);
      case 'Fn::Select':
        return r(a[1])[Number(r(a[0]))];
      case 'Fn::Split':
        return String(r(a[1])).split(a[0]);
      case 'Fn::If':
        return condition(a[0], d, template) ? r(a[1]) : r(a[2]);
      case 'Fn::Equals':
        return JSON.stringify(r(a[0])) === JSON.stringify(r(a[1]));
      case 'Fn::Not':
        return !r(a[0]);
      case 'Condition':
        return condition(a, d, template);
    }
    if (k.startsWith('Fn::')) throw new Error(`unsupported ${k}`);
  }
  const out: Json = {};
  for (const k of keys) {
    const x = r(v[k]);
    if (x !== NO_VALUE) out[k] = x;
  }
  return out;
}

function condition(name: string, d: Deployment, template: Json): boolean {
  const c = template?.Conditions?.[name];
  if (c === undefined) throw new Error(`unknown condition ${name}`);
  return Boolean(resolveIn(c, d, template));
}

/** The template as deployed with these parameters: intrinsics evaluated, conditional resources dropped. */
export function deploy(template: Json, d: Deployment): Json {
  for (const [name, p] of Object.entries<Json>(template.Parameters ?? {})) {
    const given = d.params[name];
    if (given === undefined && p.Default === undefined) throw new Error(`missing parameter ${name}`);
    const value = given ?? p.Default;
    if (typeof value === 'string' && p.AllowedPattern && !new RegExp(p.AllowedPattern).test(value))
      throw new Error(`parameter ${name}: ${JSON.stringify(value)} does not match ${p.AllowedPattern}`);
    if (typeof value === 'string' && p.MinLength !== undefined && value.length < p.MinLength)
      throw new Error(`parameter ${name}: shorter than ${p.MinLength}`);
  }
  const resources: Json = {};
  for (const [id, res] of Object.entries<Json>(template.Resources)) {
    if (res.Condition && !condition(res.Condition, d, template)) continue;
    resources[id] = { ...res, Properties: resolveIn(res.Properties ?? {}, d, template) };
  }
  const outputs: Json = {};
  for (const [id, o] of Object.entries<Json>(template.Outputs ?? {})) outputs[id] = resolveIn(o.Value, d, template);
  return { Resources: resources, Outputs: outputs };
}

export function resourcesOfType(deployed: Json, type: string): [string, Json][] {
  return Object.entries<Json>(deployed.Resources).filter(([, r]) => r.Type === type);
}

// --- IAM ---------------------------------------------------------------------------------------

const list = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
const glob = (pattern: string, value: string): boolean =>
  new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 'i').test(
    value,
  );

export interface Request {
  readonly action: string;
  readonly resource: string;
  readonly principalAccount?: string;
  readonly context?: Record<string, string>;
}

function conditionsHold(cond: Json, req: Request): boolean {
  for (const [op, kv] of Object.entries<Json>(cond ?? {})) {
    for (const [key, expected] of Object.entries<Json>(kv)) {
      const actual = req.context?.[key];
      const values = list<string>(expected);
      switch (op) {
        case 'StringEquals':
        case 'ArnEquals':
          if (actual === undefined || !values.includes(actual)) return false;
          break;
        case 'StringLike':
        case 'ArnLike':
          if (actual === undefined || !values.some((v) => glob(v, actual))) return false;
          break;
        case 'Bool':
          if (actual === undefined || !values.includes(actual)) return false;
          break;
        default:
          throw new Error(`unsupported condition operator ${op}`);
      }
    }
  }
  return true;
}

function principalMatches(principal: Json, account: string | undefined, service: string | undefined): boolean {
  if (principal === undefined) return true; // identity policies have none
  if (principal === '*' || principal.AWS === '*') return true;
  if (service !== undefined) return list<string>(principal.Service).includes(service);
  if (account === undefined) return false;
  return list<string>(principal.AWS).some((p) => p === account || /^arn:[^:]+:iam::(\d{12}):root$/.exec(p)?.[1] === account);
}

/** Allowed by these policy documents (explicit deny wins, default deny), as IAM evaluates one policy set. */
export function allows(docs: Json[], req: Request & { service?: string }): boolean {
  let allowed = false;
  for (const doc of docs) {
    for (const s of list<Json>(doc.Statement)) {
      if (!list<string>(s.Action).some((a) => glob(a, req.action))) continue;
      if (s.Resource !== undefined && !list<string>(s.Resource).some((r) => glob(r, req.resource))) continue;
      if (!principalMatches(s.Principal, req.principalAccount, req.service)) continue;
      if (!conditionsHold(s.Condition, req)) continue;
      if (s.Effect === 'Deny') return false;
      if (s.Effect === 'Allow') allowed = true;
    }
  }
  return allowed;
}

// --- EventBridge patterns ----------------------------------------------------------------------

/** EventBridge's matching for the pattern forms these stacks use: literal lists, nested objects. */
export function matches(pattern: Json, event: Json): boolean {
  for (const [k, want] of Object.entries<Json>(pattern)) {
    const have = event?.[k];
    if (Array.isArray(want)) {
      const haves = Array.isArray(have) ? have : [have];
      if (!haves.some((h) => want.some((w) => w === h))) return false;
    } else if (typeof want === 'object') {
      if (!matches(want, have)) return false;
    } else {
      throw new Error(`pattern leaf must be a list: ${k}`);
    }
  }
  return true;
}

// --- the repository's own files ------------------------------------------------------------------

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const deployRoot = path.resolve(__dirname, '..', '..');

/** The EventBridge SES events the core's parser is tested with: one per event type. */
export function fixtureEvents(): Json[] {
  const dir = path.join(repoRoot, 'tests', 'fixtures', 'eventbridge');
  return fs
    .readdirSync(dir)
    .filter((f) => /^event-.*\.json$/.test(f))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
}
