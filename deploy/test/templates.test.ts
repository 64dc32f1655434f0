// deploy/templates/ is what customers download (and what `sesami connect` prints): it must be
// exactly what the stacks synthesize, and deployable anywhere without CDK.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { render, synthAll } from '../lib/synth';
import { deployRoot } from './cfn';

const dir = path.join(deployRoot, 'templates');
const synthesized = synthAll();

test('the checked-in templates are what the stacks synthesize (else: npm run synth)', () => {
  const onDisk = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(onDisk, [...synthesized.keys()].sort(), 'the same set of templates');
  for (const [name, t] of synthesized) {
    const file = fs.readFileSync(path.join(dir, name), 'utf8');
    assert.ok(file === render(t), `templates/${name} is stale: run \`npm --prefix deploy run synth\``);
  }
});

test('templates are environment-agnostic and need no CDK bootstrap', () => {
  for (const [name, t] of synthesized) {
    const text = JSON.stringify(t);
    assert.ok(!/\b\d{12}\b/.test(text), `${name}: a hard-coded account id`);
    assert.ok(!/\b(us|eu|ap|sa|ca|me|af|il)-[a-z]+-\d\b/.test(text), `${name}: a hard-coded region`);
    assert.equal(t.Parameters.BootstrapVersion, undefined, `${name}: bootstrap parameter`);
    assert.equal(t.Rules, undefined, `${name}: bootstrap rule`);
    assert.ok(!text.includes('aws:cdk:'), `${name}: CDK metadata`);
    assert.ok(!text.includes('AWS::CDK::Metadata'), `${name}: CDK metadata resource`);
    assert.ok(text.length < 51200, `${name}: over the 51,200-byte --template-body limit`);
  }
});
