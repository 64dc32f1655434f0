// Shared pieces of the stand-ins: ids, XML escaping, error rendering per AWS protocol.
import { randomBytes, randomUUID } from 'node:crypto';

export const requestId = () => randomUUID();
export const xmlEscape = (s) =>
  String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export function randomId(prefix, n) {
  const b = randomBytes(n);
  let s = prefix;
  for (const x of b) s += ALNUM[x % 32];
  return s;
}
export const randomSecret = () => randomBytes(30).toString('base64').replace(/[+/=]/g, 'x').slice(0, 40);

/** AWS query protocol (STS, SQS query) error document. */
export function queryError(res, { status, code, message, type = 'Sender', xmlns }) {
  const id = requestId();
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': id });
  res.end(`<ErrorResponse xmlns="${xmlns}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${xmlEscape(code)}</Code>\n    <Message>${xmlEscape(message)}</Message>\n  </Error>\n  <RequestId>${id}</RequestId>\n</ErrorResponse>\n`);
}

/**
 * awsJson1_0 error (SQS JSON protocol): `__type` names the error shape, and SQS adds
 * `x-amzn-query-error: <query code>;Sender` for clients that know the query-protocol codes.
 */
export function jsonError(res, { status, type, message, queryCode, fault = 'Sender' }) {
  const id = requestId();
  const headers = { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': id };
  if (queryCode) headers['x-amzn-query-error'] = `${queryCode};${fault}`;
  res.writeHead(status, headers);
  res.end(JSON.stringify({ __type: type, message }));
}

/** restJson1 error (SES v2): the code in `x-amzn-ErrorType`, the text in the body's `message`. */
export function restJsonError(res, { status, code, message }) {
  const id = requestId();
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': code, 'x-amzn-requestid': id });
  res.end(JSON.stringify({ message }));
}

export function sendJson(res, status, obj, contentType = 'application/json') {
  res.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': requestId() });
  res.end(JSON.stringify(obj));
}

export const isoSeconds = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
