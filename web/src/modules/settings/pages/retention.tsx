// Settings → Workspace → Retention: how long raw events are kept. Admins change it (PATCH
// /workspace); the server then deletes older raw events in the background within a minute, while
// the rollups (charts and totals of old periods) and the suppression list stay.
import { createSignal, Show, type JSX } from 'solid-js';
import { MAX_RETENTION_DAYS, setRetention, type WorkspaceInfo } from '../settings.api';
import type { ApiError } from '../../../lib/types';

export const retentionText = (days: number | null) =>
  days ? `${days} days of raw events` : 'forever';

/// The answer of a save updates the text here (no refetch: the page's workspace resource would
/// redraw the form and drop its message).
export function RetentionControl(props: {
  workspace: WorkspaceInfo;
  canChange: boolean;
}): JSX.Element {
  const [current, setCurrent] = createSignal(props.workspace.retentionDays);
  const [mode, setMode] = createSignal<'forever' | 'days'>(
    props.workspace.retentionDays ? 'days' : 'forever',
  );
  const [days, setDays] = createSignal(String(props.workspace.retentionDays || 90));
  const [error, setError] = createSignal<ApiError | null>(null);
  const [saved, setSaved] = createSignal('');
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setSaved('');
    let value: number | null = null;
    if (mode() === 'days') {
      value = Number(days());
      if (!Number.isInteger(value) || value < 1 || value > MAX_RETENTION_DAYS) {
        setError({
          status: 0,
          code: 'validation.retention_days',
          message: `Enter a whole number of days from 1 to ${MAX_RETENTION_DAYS}.`,
        });
        return;
      }
    }
    const r = await setRetention(value);
    if (!r.ok) {
      setError(r.error);
      return;
    }
    setError(null);
    setCurrent(r.value.retentionDays);
    setSaved(
      r.value.retentionDays
        ? `Saved. Raw events older than ${r.value.retentionDays} days are being deleted in the background; charts and totals of older periods stay.`
        : 'Saved. Raw events are kept forever.',
    );
  };
  return (
    <Show
      when={props.canChange}
      fallback={<span data-testid="retention">{retentionText(props.workspace.retentionDays)}</span>}
    >
      <form
        class="stack"
        onSubmit={submit}
        data-testid="retention"
        aria-label="Retention"
        novalidate
      >
        <span data-testid="retention-current">{retentionText(current())}</span>
        <div class="row wrap gap end">
          <label class="row gap small">
            <input
              type="radio"
              name="retention-mode"
              value="forever"
              checked={mode() === 'forever'}
              onChange={() => setMode('forever')}
            />
            Keep raw events forever
          </label>
          <label class="row gap small">
            <input
              type="radio"
              name="retention-mode"
              value="days"
              checked={mode() === 'days'}
              onChange={() => setMode('days')}
            />
            Delete raw events older than
          </label>
          <label class="field">
            Days
            <input
              type="number"
              name="retentionDays"
              min="1"
              max={MAX_RETENTION_DAYS}
              step="1"
              value={days()}
              disabled={mode() !== 'days'}
              onInput={(e) => setDays(e.currentTarget.value)}
            />
          </label>
          <button type="submit">Save retention</button>
        </div>
        <p class="small muted">
          Rollups (the charts and totals of old periods) and the suppression list are kept.
        </p>
        <Show when={saved()}>
          <p class="small muted" role="status">
            {saved()}
          </p>
        </Show>
        <Show when={error()}>
          {(e) => (
            <p class="form-error" role="alert">
              {e().message} <code class="muted">({e().code})</code>
            </p>
          )}
        </Show>
      </form>
    </Show>
  );
}
