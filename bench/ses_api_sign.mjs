// Signs one SES v2 SendEmail request the way the AWS SDK does (its own SigV4 signer,
// @smithy/signature-v4 from tests/sesapi/node_modules) and prints its headers, one per line, for
// http_load to replay: a SigV4 signature holds for 15 minutes, so the server verifies it in full
// on every request. Usage: node bench/ses_api_sign.mjs ACCESS_KEY_ID SECRET BODY_FILE
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/sesapi/package.json', import.meta.url));
const { SignatureV4 } = require('@smithy/signature-v4');

class Sha256 {
  constructor(secret) { this.h = secret ? createHmac('sha256', secret) : createHash('sha256'); }
  update(d) { this.h.update(d); }
  async digest() { return new Uint8Array(this.h.digest()); }
}
const [accessKeyId, secretAccessKey, bodyFile] = process.argv.slice(2);
const signer = new SignatureV4({ service: 'ses', region: 'us-east-1', sha256: Sha256,
  credentials: { accessKeyId, secretAccessKey } });
const body = readFileSync(bodyFile, 'utf8');
const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1',
  path: '/v2/email/outbound-emails', headers: { host: '127.0.0.1', 'content-type': 'application/json' }, body });
for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') console.log(`${k}: ${v}`);
