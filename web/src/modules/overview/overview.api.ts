// GET /stats: the core's aggregation computed by the server from its rollups (cheap for any range).
import { json } from '../../lib/api';
import type { Aggregation } from '../../lib/sesami';
import type { Bucket, Result } from '../../lib/types';

export function fetchStats(from: string, to: string, bucket: Bucket): Promise<Result<Aggregation>> {
  return json<Aggregation>('GET', '/stats', { query: { from, to, bucket } });
}
