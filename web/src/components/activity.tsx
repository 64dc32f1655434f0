// The charts and numbers every analytics screen shares (overview, events, explore), drawn from the
// core's aggregation whether it came from GET /stats or from the wasm core in this tab.
import { For, Show, type JSX } from 'solid-js';
import { ChartView } from './chart';
import type { Aggregation, Rate } from '../lib/types';
import type { EventType } from '../lib/types';
import { bucketLabel } from '../lib/time';
import { TYPE_COLORS, TYPE_LABELS } from '../lib/event-text';
import { formatRate, rate, rateLevel, THRESHOLDS, type Level } from '../lib/rates';

const MAIN: EventType[] = ['send', 'delivery', 'bounce', 'complaint', 'open', 'click'];

const labelsOf = (a: Aggregation) =>
  a.series.labels.map((l) => bucketLabel(Date.parse(l), a.bucket));

export function ActivityChart(props: {
  agg: Aggregation;
  stacked?: boolean;
  id?: string;
}): JSX.Element {
  const series = () =>
    MAIN.map((t) => ({
      label: TYPE_LABELS[t],
      data: props.agg.series.types[t] ?? [],
      color: TYPE_COLORS[t],
    }));
  return (
    <ChartView
      id={props.id}
      title={`Events per ${props.agg.bucket}`}
      kind={props.stacked === false ? 'line' : 'bar'}
      stacked={props.stacked !== false}
      labels={labelsOf(props.agg)}
      series={series()}
    />
  );
}

/// Bounces and complaints per send in each bucket, with SES's warning and review lines. (The
/// headline rates count recipients, as SES does; per bucket we divide events, which the series has.)
export function RatesCharts(props: { agg: Aggregation }): JSX.Element {
  const per = (t: EventType) => {
    const sent = props.agg.series.types.send ?? [];
    const part = props.agg.series.types[t] ?? [];
    return sent.map((s, i) => rate(part[i] ?? 0, s));
  };
  return (
    <div class="grid2">
      <ChartView
        id="bounce-rate-chart"
        title="Bounce rate (bounces per send)"
        kind="line"
        percent
        labels={labelsOf(props.agg)}
        height={200}
        series={[
          { label: 'Bounce rate', data: per('bounce'), color: TYPE_COLORS.bounce, fill: true },
        ]}
        references={[
          { label: 'Warning 5 %', value: THRESHOLDS.bounce.warning, color: '#d97706' },
          { label: 'Review 10 %', value: THRESHOLDS.bounce.review, color: '#b91c1c' },
        ]}
      />
      <ChartView
        id="complaint-rate-chart"
        title="Complaint rate (complaints per send)"
        kind="line"
        percent
        labels={labelsOf(props.agg)}
        height={200}
        series={[
          {
            label: 'Complaint rate',
            data: per('complaint'),
            color: TYPE_COLORS.complaint,
            fill: true,
          },
        ]}
        references={[
          { label: 'Warning 0.1 %', value: THRESHOLDS.complaint.warning, color: '#d97706' },
          { label: 'Review 0.5 %', value: THRESHOLDS.complaint.review, color: '#b91c1c' },
        ]}
      />
    </div>
  );
}

const LEVEL_TEXT: Record<Level, string> = {
  ok: 'below SES thresholds',
  near: 'approaching the SES warning threshold',
  warning: 'above the SES warning threshold',
  review: 'above the SES review threshold: SES may pause sending',
};

/// The alert a sender must not miss (USERS.md #9).
export function RateAlerts(props: { agg: Aggregation }): JSX.Element {
  const b = () => props.agg.rates.bounce;
  const c = () => props.agg.rates.complaint;
  const bl = () => rateLevel(b(), THRESHOLDS.bounce);
  const cl = () => rateLevel(c(), THRESHOLDS.complaint);
  const worst = (): Level =>
    (['review', 'warning', 'near'] as Level[]).find((l) => bl() === l || cl() === l) ?? 'ok';
  return (
    <Show when={worst() !== 'ok'}>
      <div
        class={`alert level-${worst()}`}
        role="alert"
        data-testid="rate-alert"
        data-level={worst()}
      >
        <Show when={bl() !== 'ok'}>
          <p>
            Bounce rate {formatRate(b().value ?? 0)} is {LEVEL_TEXT[bl()]} (warning 5 %, review 10
            %).
          </p>
        </Show>
        <Show when={cl() !== 'ok'}>
          <p>
            Complaint rate {formatRate(c().value ?? 0)} is {LEVEL_TEXT[cl()]} (warning 0.1 %, review
            0.5 %).
          </p>
        </Show>
      </div>
    </Show>
  );
}

export function TotalsCards(props: { agg: Aggregation }): JSX.Element {
  const t = (k: EventType) => props.agg.totals[k] ?? 0;
  const pct = (r: Rate) => (r.value === null ? '—' : formatRate(r.value));
  const cards = (): { key: string; label: string; value: number; sub?: string }[] => [
    { key: 'send', label: 'Sent', value: t('send') },
    {
      key: 'delivery',
      label: 'Delivered',
      value: t('delivery'),
      sub: pct(props.agg.rates.delivery),
    },
    {
      key: 'bounce',
      label: 'Bounced',
      value: t('bounce'),
      sub: `bounce rate ${pct(props.agg.rates.bounce)}`,
    },
    {
      key: 'complaint',
      label: 'Complaints',
      value: t('complaint'),
      sub: `complaint rate ${pct(props.agg.rates.complaint)}`,
    },
    {
      key: 'open',
      label: 'Opens',
      value: t('open'),
      sub: `${props.agg.opens.human} human · ${props.agg.opens.machine} machine`,
    },
    {
      key: 'click',
      label: 'Clicks',
      value: t('click'),
      sub: `${props.agg.clicks.human} human · ${props.agg.clicks.machine} machine`,
    },
  ];
  return (
    <ul class="cards" aria-label="Totals">
      <For each={cards()}>
        {(c) => (
          <li class="card stat" data-total={c.key}>
            <span class="stat-label">{c.label}</span>
            <span class="stat-value" data-value={c.value}>
              {c.value.toLocaleString('en-US')}
            </span>
            <Show when={c.sub}>
              <span class="stat-sub muted small">{c.sub}</span>
            </Show>
          </li>
        )}
      </For>
    </ul>
  );
}

/// Top links and bouncing domains. The server's /stats comes from rollups, which hold no link or
/// domain for events stored before they existed (or since removed by retention): there the lists
/// can be empty while clicks are not, so say where to look.
export function TopLists(props: {
  agg: Aggregation;
  fromServer?: boolean;
  eventsHref?: string;
}): JSX.Element {
  const missing = (count: number, list: unknown[]) =>
    Boolean(props.fromServer) && count > 0 && list.length === 0;
  const elsewhere = () => (
    <p class="muted">
      The server's rollups hold no link or domain for these events (older than the rollups, or
      removed by retention): <a href={props.eventsHref}>see the Events page</a>, which computes it
      from the events in the browser.
    </p>
  );
  return (
    <div class="grid2">
      <section class="card">
        <h3>Top links</h3>
        <Show
          when={!missing(props.agg.totals.click ?? 0, props.agg.topLinks)}
          fallback={elsewhere()}
        >
          <Show
            when={props.agg.topLinks.length}
            fallback={<p class="muted">No clicks in this range.</p>}
          >
            <ol class="toplist">
              <For each={props.agg.topLinks}>
                {(l) => (
                  <li>
                    <span class="ellipsis" title={l.link}>
                      {l.link}
                    </span>
                    <span class="muted small" title="human clicks / all clicks">
                      {l.humanClicks} / {l.clicks}
                    </span>
                  </li>
                )}
              </For>
            </ol>
          </Show>
        </Show>
      </section>
      <section class="card">
        <h3>Top bouncing domains</h3>
        <Show
          when={!missing(props.agg.totals.bounce ?? 0, props.agg.topBouncingDomains)}
          fallback={elsewhere()}
        >
          <Show
            when={props.agg.topBouncingDomains.length}
            fallback={<p class="muted">No bounces in this range.</p>}
          >
            <ol class="toplist">
              <For each={props.agg.topBouncingDomains}>
                {(d) => (
                  <li>
                    <span>{d.domain}</span>
                    <span class="muted small" title="hard bounces / all bounces">
                      {d.hardBounces} hard / {d.bounces}
                    </span>
                  </li>
                )}
              </For>
            </ol>
          </Show>
        </Show>
      </section>
    </div>
  );
}
