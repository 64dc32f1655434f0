#!/usr/bin/env node
// node tests/aws/standins/serve.mjs --port 0 --config file.json
// Prints `listening on http://127.0.0.1:PORT` on stdout once it accepts connections; stops on
// SIGTERM / SIGINT or when stdin closes (so a test that dies does not leave it running).
import { readFileSync } from 'node:fs';
import { createStandins } from './server.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const configPath = opt('--config');
let config = {};
if (configPath) {
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (e) {
    process.stderr.write(`${configPath}: ${e.message}\n`);
    process.exit(2);
  }
}
const s = createStandins(config);
const base = await s.listen(Number(opt('--port', '0')), opt('--host', '127.0.0.1'));
process.stdout.write(`listening on ${base}\n`);
const stop = async () => {
  await s.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (args.includes('--exit-on-stdin-close')) {
  process.stdin.on('end', stop);
  process.stdin.resume();
}
