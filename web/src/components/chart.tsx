// The one Chart.js wrapper. Registers only the pieces the app uses (tree-shaken bundle), follows
// the theme's CSS colours, updates in place when its data changes (no re-creation per filter
// change), and offers the numbers as a table for screen readers.
import { createEffect, onCleanup, onMount, Index, type JSX } from 'solid-js';
import {
  Chart,
  LineController,
  BarController,
  LineElement,
  BarElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Tooltip,
  Legend,
  Filler,
  type ChartDataset,
  type ChartOptions,
} from 'chart.js';

Chart.register(
  LineController,
  BarController,
  LineElement,
  BarElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Tooltip,
  Legend,
  Filler,
);

export interface Series {
  label: string;
  data: number[];
  color: string;
  dashed?: boolean;
  fill?: boolean;
}
/// A horizontal reference line (SES thresholds), drawn as a flat dataset so no plugin is needed.
export interface Reference {
  label: string;
  value: number;
  color: string;
}

export interface ChartProps {
  title: string;
  kind: 'line' | 'bar';
  labels: string[];
  series: Series[];
  references?: Reference[];
  stacked?: boolean;
  percent?: boolean; // y values are fractions shown as percentages
  height?: number;
  id?: string;
}

function cssVar(name: string, fallback: string): string {
  if (typeof getComputedStyle === 'undefined') return fallback;
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function datasets(p: ChartProps): ChartDataset<'line' | 'bar', number[]>[] {
  const out: ChartDataset<'line' | 'bar', number[]>[] = p.series.map((s) => ({
    type: p.kind,
    label: s.label,
    data: s.data,
    borderColor: s.color,
    backgroundColor:
      p.kind === 'bar' || s.fill ? s.color + (p.kind === 'bar' ? 'cc' : '33') : s.color,
    borderWidth: p.kind === 'bar' ? 0 : 2,
    pointRadius: p.labels.length > 60 ? 0 : 2,
    borderDash: s.dashed ? [6, 4] : undefined,
    fill: s.fill ?? false,
    tension: 0.2,
    stack: p.stacked ? 'events' : s.label,
  }));
  for (const r of p.references ?? [])
    out.push({
      type: 'line',
      label: r.label,
      data: p.labels.map(() => r.value),
      borderColor: r.color,
      backgroundColor: r.color,
      borderDash: [4, 4],
      borderWidth: 1.5,
      pointRadius: 0,
      fill: false,
      stack: `ref-${r.label}`,
    });
  return out;
}

function options(p: ChartProps): ChartOptions<'line' | 'bar'> {
  const text = cssVar('--fg-muted', '#555');
  const grid = cssVar('--grid', '#e5e5e5');
  const fmt = (v: number | string) =>
    p.percent ? `${(Number(v) * 100).toFixed(Number(v) < 0.01 ? 2 : 1)} %` : `${v}`;
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false, // re-filtering must feel instant; animations hide the answer for 400 ms
    interaction: { mode: 'index', intersect: false },
    plugins: {
      legend: { labels: { color: text, boxWidth: 12 } },
      tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${fmt(c.parsed.y ?? 0)}` } },
    },
    scales: {
      x: {
        stacked: p.stacked,
        ticks: { color: text, maxRotation: 0, autoSkipPadding: 12 },
        grid: { color: grid },
      },
      y: {
        stacked: p.stacked,
        beginAtZero: true,
        ticks: { color: text, callback: fmt },
        grid: { color: grid },
      },
    },
  };
}

export function ChartView(props: ChartProps): JSX.Element {
  let canvas!: HTMLCanvasElement;
  let chart: Chart<'line' | 'bar', number[], string> | undefined;

  onMount(() => {
    chart = new Chart(canvas, {
      type: props.kind,
      data: { labels: props.labels, datasets: datasets(props) },
      options: options(props),
    });
    // The first chart on screen: what "time to first chart" measures (docs/performance.md).
    if (performance.getEntriesByName('sesami:first-chart').length === 0)
      performance.mark('sesami:first-chart');
    // Theme switches change the CSS colours: redraw with the new ones.
    const mq = window.matchMedia?.('(prefers-color-scheme: dark)');
    const retheme = () => {
      if (chart) {
        chart.options = options(props);
        chart.update('none');
      }
    };
    mq?.addEventListener?.('change', retheme);
    window.addEventListener('sesami-theme', retheme);
    onCleanup(() => {
      mq?.removeEventListener?.('change', retheme);
      window.removeEventListener('sesami-theme', retheme);
      chart?.destroy();
      chart = undefined;
    });
  });

  // Data changes (every re-filter) touch the data only: options read the theme's CSS colours
  // through getComputedStyle, which forces a style recalculation, so they change on theme events.
  createEffect(() => {
    const labels = props.labels;
    const ds = datasets(props);
    if (!chart) return;
    chart.data.labels = labels;
    chart.data.datasets = ds;
    chart.update('none');
  });

  return (
    <figure class="chart" id={props.id}>
      <figcaption>{props.title}</figcaption>
      <div class="chart-box" style={{ height: `${props.height ?? 260}px` }}>
        <canvas
          ref={canvas}
          role="img"
          aria-label={`${props.title} chart; the data follows as a table`}
        />
      </div>
      {/* In a wrapper: a table ignores the 1px width of .sr-only and would widen phone pages. */}
      <div class="sr-only">
        <table data-chart-table>
          <caption>{props.title}</caption>
          <thead>
            <tr>
              <th scope="col">Bucket</th>
              <Index each={props.series}>{(s) => <th scope="col">{s().label}</th>}</Index>
            </tr>
          </thead>
          <tbody>
            {/* Index, not For: a re-filter updates the cells' text instead of rebuilding the rows. */}
            <Index each={props.labels}>
              {(l, i) => (
                <tr>
                  <th scope="row">{l()}</th>
                  <Index each={props.series}>{(s) => <td>{s().data[i]}</td>}</Index>
                </tr>
              )}
            </Index>
          </tbody>
        </table>
      </div>
    </figure>
  );
}
