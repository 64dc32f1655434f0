// STS stand-in: the query API's AssumeRole and GetCallerIdentity (2011-06-15), answering AWS's
// documented XML. A role is assumable when the caller's account is in the role's trust policy
// (trustedAccounts) and the ExternalId matches the role's sts:ExternalId condition; anything else
// is AccessDenied with AWS's wording. Issued temporary keys go into the shared key directory, so
// the SQS and SES stand-ins accept them until they expire (then ExpiredToken).
import { xmlEscape, queryError, requestId, randomId, randomSecret, isoSeconds } from './common.mjs';
import { randomBytes } from 'node:crypto';

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export class Sts {
  constructor(state) {
    this.state = state; // {config, keys: Map, count(service, action)}
  }

  error(res, status, code, message) {
    queryError(res, { status, code, message, xmlns: XMLNS });
  }

  /** params: URLSearchParams of the query string or form body; principal: the verified caller. */
  handle(res, params, principal) {
    const action = params.get('Action');
    this.state.count('sts', action || '(none)');
    if (params.get('Version') !== '2011-06-15')
      return this.error(res, 400, 'InvalidAction', `Could not find operation ${action} for version ${params.get('Version')}`);
    if (this.state.fault(res, 'sts', action, (r, f) => this.error(r, f.status, f.code, f.message))) return;
    if (action === 'GetCallerIdentity') return this.callerIdentity(res, principal);
    if (action === 'AssumeRole') return this.assumeRole(res, params, principal);
    return this.error(res, 400, 'InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
  }

  callerIdentity(res, p) {
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(`<GetCallerIdentityResponse xmlns="${XMLNS}">
  <GetCallerIdentityResult>
    <Arn>${xmlEscape(p.arn)}</Arn>
    <UserId>${xmlEscape(p.userId || p.accessKeyId)}</UserId>
    <Account>${p.accountId}</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>${requestId()}</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
`);
  }

  assumeRole(res, params, principal) {
    const roleArn = params.get('RoleArn');
    const session = params.get('RoleSessionName');
    const errors = [];
    if (!roleArn) errors.push("Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
    else if (roleArn.length < 20 || roleArn.length > 2048)
      errors.push(`Value '${roleArn}' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20`);
    if (!session) errors.push("Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null");
    else if (!/^[\w+=,.@-]{2,64}$/.test(session))
      errors.push(`Value '${session}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
    const ext = params.get('ExternalId');
    if (ext !== null && !/^[\w+=,.@:/-]{2,1224}$/.test(ext))
      errors.push(`Value '${ext}' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*`);
    const duration = params.get('DurationSeconds');
    if (duration !== null && (!/^\d+$/.test(duration) || +duration < 900 || +duration > 43200))
      errors.push(`Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`);
    if (errors.length)
      return this.error(res, 400, 'ValidationError', `${errors.length} validation error${errors.length > 1 ? 's' : ''} detected: ${errors.join('; ')}`);

    const role = (this.state.config.roles || []).find((r) => r.arn === roleArn);
    const trusted = role && (role.trustedAccounts || []).includes(principal.accountId);
    const extOk = role && (role.externalId === undefined || role.externalId === ext);
    if (!role || !trusted || !extOk) {
      this.state.denied.push({ roleArn, externalId: ext, caller: principal.arn, reason: !role ? 'no-such-role' : !trusted ? 'not-trusted' : 'external-id' });
      return this.error(res, 403, 'AccessDenied',
        `User: ${principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    }
    const maxSession = role.maxSessionDuration || 3600;
    if (duration !== null && +duration > maxSession)
      return this.error(res, 400, 'ValidationError',
        `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`);
    // The stand-in may issue shorter lifetimes than AWS's 900 s minimum so expiry tests run fast.
    const lifetime = role.credentialLifetimeSeconds ?? this.state.config.credentialLifetimeSeconds ?? (duration !== null ? +duration : 3600);
    const now = Date.now();
    const expiresAt = now + lifetime * 1000;
    const accountId = roleArn.split(':')[4];
    const roleName = roleArn.split('/').pop();
    const roleId = role.roleId || 'AROA' + randomId('', 17);
    const cred = {
      accessKeyId: randomId('ASIA', 16),
      secretAccessKey: randomSecret(),
      sessionToken: 'IQoJ' + randomBytes(96).toString('base64'),
      expiresAt,
      accountId,
      arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${session}`,
      userId: `${roleId}:${session}`,
      roleArn,
      denyActions: role.denyActions || [],
    };
    this.state.keys.set(cred.accessKeyId, cred);
    this.state.issued.push({ accessKeyId: cred.accessKeyId, roleArn, session, expiresAt });
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(`<AssumeRoleResponse xmlns="${XMLNS}">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <Arn>${xmlEscape(cred.arn)}</Arn>
      <AssumedRoleId>${xmlEscape(cred.userId)}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${cred.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${cred.secretAccessKey}</SecretAccessKey>
      <SessionToken>${cred.sessionToken}</SessionToken>
      <Expiration>${isoSeconds(expiresAt)}</Expiration>
    </Credentials>
    <PackedPolicySize>0</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>${requestId()}</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>
`);
  }
}
