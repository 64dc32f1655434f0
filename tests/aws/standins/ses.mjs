// SES v2 stand-in for what aws-ses-v2-local lacks: the account-level suppression list
// (ListSuppressedDestinations, GetSuppressedDestination, PutSuppressedDestination,
// DeleteSuppressedDestination), GetAccount, and GetConfigurationSet +
// GetConfigurationSetEventDestinations (what `sesami doctor` and /verify-sts read; the sets come
// from config.configurationSets, replaceable at run time through PUT /_admin/config), in SES v2's
// REST-JSON shapes, every request's SigV4 signature verified (signing name "ses").
import { restJsonError, sendJson } from './common.mjs';

const PREFIX = '/v2/email/suppression/addresses';
const REASONS = ['BOUNCE', 'COMPLAINT'];
const CONFIG_SETS = /^\/v2\/email\/configuration-sets\/([^/]+)(\/event-destinations)?$/;

export class Ses {
  constructor(state) {
    this.state = state;
    this.list = new Map(); // lower-cased address → {EmailAddress, Reason, LastUpdateTime (s)}
    for (const e of state.config.suppressions || []) this.put(e.EmailAddress, e.Reason, e.LastUpdateTime);
  }
  put(address, reason, at) {
    this.list.set(address.toLowerCase(), { EmailAddress: address, Reason: reason, LastUpdateTime: at ?? Date.now() / 1000 });
  }
  deny(res, principal, action) {
    if (!(principal.denyActions || []).includes(`ses:${action}`)) return false;
    restJsonError(res, { status: 403, code: 'AccessDeniedException',
      message: `User: ${principal.arn} is not authorized to perform: ses:${action} on resource: arn:aws:ses:${this.state.config.region}:${principal.accountId}:*` });
    return true;
  }

  /** Returns false when the path is not SES's (the caller answers 404). */
  handle(req, res, url, bodyText, principal) {
    const path = url.pathname;
    let action;
    let cs;
    if (path === '/v2/email/account' && req.method === 'GET') action = 'GetAccount';
    else if ((cs = CONFIG_SETS.exec(path)) && req.method === 'GET')
      action = cs[2] ? 'GetConfigurationSetEventDestinations' : 'GetConfigurationSet';
    else if (path === PREFIX && req.method === 'GET') action = 'ListSuppressedDestinations';
    else if (path === PREFIX && req.method === 'PUT') action = 'PutSuppressedDestination';
    else if (path.startsWith(PREFIX + '/') && req.method === 'GET') action = 'GetSuppressedDestination';
    else if (path.startsWith(PREFIX + '/') && req.method === 'DELETE') action = 'DeleteSuppressedDestination';
    else {
      restJsonError(res, { status: 404, code: 'UnknownOperationException', message: `No operation for ${req.method} ${path}` });
      return;
    }
    this.state.count('ses', action);
    if (this.state.fault(res, 'ses', action, (r, f) => restJsonError(r, { status: f.status, code: f.code, message: f.message }))) return;
    if (this.deny(res, principal, action)) return;
    const bad = (m) => restJsonError(res, { status: 400, code: 'BadRequestException', message: m });
    const notFound = (a) => restJsonError(res, { status: 404, code: 'NotFoundException', message: `Email address ${a} does not exist on your suppression list.` });

    if (action === 'GetAccount') {
      const a = this.state.config.account || {};
      return sendJson(res, 200, {
        DedicatedIpAutoWarmupEnabled: false, EnforcementStatus: 'HEALTHY',
        ProductionAccessEnabled: a.productionAccess ?? true,
        SendQuota: { Max24HourSend: a.max24HourSend ?? 50000, MaxSendRate: a.maxSendRate ?? 14, SentLast24Hours: a.sentLast24Hours ?? 0 },
        SendingEnabled: a.sendingEnabled ?? true,
        SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      });
    }
    if (cs) {
      const name = decodeURIComponent(cs[1]);
      const set = (this.state.config.configurationSets || {})[name];
      if (!set) return restJsonError(res, { status: 404, code: 'NotFoundException', message: `Configuration set <${name}> does not exist.` });
      if (action === 'GetConfigurationSetEventDestinations')
        return sendJson(res, 200, { EventDestinations: set.eventDestinations || [] });
      return sendJson(res, 200, {
        ConfigurationSetName: name, SendingOptions: { SendingEnabled: set.sendingEnabled ?? true },
        DeliveryOptions: { TlsPolicy: 'OPTIONAL' }, ReputationOptions: { ReputationMetricsEnabled: false },
        TrackingOptions: {}, SuppressionOptions: { SuppressedReasons: [] },
      });
    }
    if (action === 'ListSuppressedDestinations') {
      const q = url.searchParams;
      const reasons = q.getAll('Reason');
      for (const r of reasons) if (!REASONS.includes(r)) return bad(`Invalid reason: ${r}`);
      const pageSize = q.has('PageSize') ? Number(q.get('PageSize')) : 1000;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) return bad('PageSize must be between 1 and 1000.');
      const start = q.has('StartDate') ? Number(q.get('StartDate')) : -Infinity;
      const end = q.has('EndDate') ? Number(q.get('EndDate')) : Infinity;
      const items = [...this.list.values()]
        .filter((e) => (!reasons.length || reasons.includes(e.Reason)) && e.LastUpdateTime >= start && e.LastUpdateTime <= end)
        .sort((a, b) => (a.EmailAddress.toLowerCase() < b.EmailAddress.toLowerCase() ? -1 : 1));
      let from = 0;
      if (q.has('NextToken')) {
        const t = q.get('NextToken');
        const after = Buffer.from(t, 'base64url').toString();
        if (!t || !after.startsWith('after:')) return bad('Invalid NextToken.');
        from = items.findIndex((e) => e.EmailAddress.toLowerCase() > after.slice(6));
        if (from < 0) from = items.length;
      }
      const page = items.slice(from, from + pageSize);
      const out = { SuppressedDestinationSummaries: page.map((e) => ({ ...e })) };
      if (from + pageSize < items.length)
        out.NextToken = Buffer.from('after:' + page[page.length - 1].EmailAddress.toLowerCase()).toString('base64url');
      return sendJson(res, 200, out);
    }
    if (action === 'PutSuppressedDestination') {
      let b;
      try {
        b = JSON.parse(bodyText || '{}');
      } catch {
        return restJsonError(res, { status: 400, code: 'SerializationException', message: 'Could not parse the request body.' });
      }
      if (typeof b.EmailAddress !== 'string' || !b.EmailAddress.includes('@')) return bad('EmailAddress is required and must be an email address.');
      if (!REASONS.includes(b.Reason)) return bad(`Invalid reason: ${b.Reason}`);
      this.put(b.EmailAddress, b.Reason);
      return sendJson(res, 200, {});
    }
    let address;
    try {
      address = decodeURIComponent(path.slice(PREFIX.length + 1));
    } catch {
      return bad('Invalid email address.');
    }
    const e = this.list.get(address.toLowerCase());
    if (!e) return notFound(address);
    if (action === 'GetSuppressedDestination')
      return sendJson(res, 200, { SuppressedDestination: { ...e, Attributes: {} } });
    this.list.delete(address.toLowerCase());
    return sendJson(res, 200, {});
  }
}
