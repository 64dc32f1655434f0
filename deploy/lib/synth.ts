// Synthesizes every template in memory, offline: env-agnostic stacks (no account or region
// lookups), no bootstrap rule and no CDK metadata, so the templates deploy with plain
// `aws cloudformation deploy` in any account and region, without `cdk bootstrap`.
//
// One template per delivery mode rather than one with Conditions on a Mode parameter: each
// template holds exactly the resources and permissions it deploys (the SQS permissions exist only
// in the SQS template), a customer reviewing the IAM policy reads no dead branches, and the tests
// check each template as deployed instead of evaluating conditions.
import { App, DefaultStackSynthesizer } from 'aws-cdk-lib';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CustomerOnboardingStack, DELIVERY_MODES, DeliveryMode } from './customer-stack';
import { SesamiSideStack } from './sesami-stack';

export type Template = Record<string, any>;

export function customerTemplateName(mode: DeliveryMode): string {
  return `sesami-customer-${mode}.json`;
}
export const SESAMI_SIDE_TEMPLATE = 'sesami-side.json';

function synthesizer(): DefaultStackSynthesizer {
  return new DefaultStackSynthesizer({ generateBootstrapVersionRule: false });
}

export function newApp(): App {
  return new App({
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'sesami-cdk-')),
    analyticsReporting: false,
    context: { 'aws:cdk:enable-path-metadata': false, 'aws:cdk:version-reporting': false },
  });
}

export function buildStacks(app: App = newApp()) {
  const customer = new Map<DeliveryMode, CustomerOnboardingStack>();
  for (const mode of DELIVERY_MODES) {
    const id = 'SesamiCustomer' + mode.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join('');
    customer.set(mode, new CustomerOnboardingStack(app, id, { mode, synthesizer: synthesizer() }));
  }
  const sesamiSide = new SesamiSideStack(app, 'SesamiSide', { synthesizer: synthesizer() });
  return { app, customer, sesamiSide };
}

/** File name → template, exactly what deploy/templates/ holds. */
export function synthAll(): Map<string, Template> {
  const { app, customer, sesamiSide } = buildStacks();
  const assembly = app.synth();
  try {
    const out = new Map<string, Template>();
    for (const [mode, stack] of customer) {
      out.set(customerTemplateName(mode), assembly.getStackByName(stack.stackName).template);
    }
    out.set(SESAMI_SIDE_TEMPLATE, assembly.getStackByName(sesamiSide.stackName).template);
    return out;
  } finally {
    fs.rmSync(assembly.directory, { recursive: true, force: true });
  }
}

/** The file's exact text: stable key order from the synthesizer, 2-space indent, final newline. */
export function render(t: Template): string {
  return JSON.stringify(t, null, 2) + '\n';
}
