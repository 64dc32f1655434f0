// npm run synth: rewrites deploy/templates/ from the stacks. The tests fail until this is run
// after a change to lib/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { render, synthAll } from '../lib/synth';

const dir = path.resolve(__dirname, '..', '..', 'templates');
fs.mkdirSync(dir, { recursive: true });
for (const [name, template] of synthAll()) {
  fs.writeFileSync(path.join(dir, name), render(template));
  console.log(`wrote templates/${name}`);
}
