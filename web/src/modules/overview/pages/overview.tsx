// Overview: how sending went over a range, from /stats (rollups), with SES's thresholds in view.
import { createMemo, createResource, For, Show, type JSX } from 'solid-js';
import { fetchStats } from '../overview.api';
import { location, navigate, href } from '../../../lib/router';
import { PRESETS, parseView, serializeView, viewRange, type Preset } from '../../../lib/filter';
import { bucketFor } from '../../../lib/time';
import {
  ActivityChart,
  RateAlerts,
  RatesCharts,
  TopLists,
  TotalsCards,
} from '../../../components/activity';
import { Async, Empty } from '../../../components/states';
import { ReputationPanel } from '../../guard/components/reputation-panel';
import { HealthStrip } from '../../health/components/health-strip';

const SHORT: Record<Exclude<Preset, 'custom'>, string> = {
  '24h': '24 h',
  '7d': '7 days',
  '30d': '30 days',
  '90d': '90 days',
  '1y': '1 year',
};

export function OverviewPage(): JSX.Element {
  const view = createMemo(() => parseView(location().params));
  const preset = () =>
    (view().preset === 'custom' ? '30d' : view().preset) as Exclude<Preset, 'custom'>;
  const [stats, { refetch }] = createResource(preset, async (p) => {
    const r = viewRange({ ...view(), preset: p }, Date.now());
    return fetchStats(
      new Date(r.from).toISOString(),
      new Date(r.to).toISOString(),
      bucketFor(r.to - r.from),
    );
  });
  return (
    <section class="page" aria-labelledby="overview-title">
      <header class="page-head">
        <h1 id="overview-title">Overview</h1>
        <div class="segmented" role="group" aria-label="Range">
          <For each={PRESETS.filter((p): p is Exclude<Preset, 'custom'> => p !== 'custom')}>
            {(p) => (
              <button
                type="button"
                aria-pressed={preset() === p}
                onClick={() => navigate('/', serializeView({ ...view(), preset: p }), true)}
              >
                {SHORT[p]}
              </button>
            )}
          </For>
        </div>
      </header>
      <ReputationPanel />
      <HealthStrip />
      <Async data={stats()} retry={refetch}>
        {(a) => (
          <Show
            when={a.events > 0}
            fallback={
              <Empty>
                No events in this range yet. Connect AWS in <a href={href('/settings')}>Settings</a>{' '}
                or send a test mail from <a href={href('/send')}>Send</a>.
              </Empty>
            }
          >
            <RateAlerts agg={a} />
            <TotalsCards agg={a} />
            <ActivityChart id="overview-chart" agg={a} />
            <RatesCharts agg={a} />
            <TopLists
              agg={a}
              fromServer
              eventsHref={href('/events', new URLSearchParams({ range: preset() }))}
            />
          </Show>
        )}
      </Async>
    </section>
  );
}
