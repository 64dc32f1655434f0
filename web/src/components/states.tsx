// Loading, empty and error states: one look everywhere.
import { Show, type JSX } from 'solid-js';
import type { ApiError, Result } from '../lib/types';

export function Loading(props: { label?: string }): JSX.Element {
  return (
    <div class="state loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {props.label ?? 'Loading…'}
    </div>
  );
}
export function Empty(props: { children: JSX.Element }): JSX.Element {
  return (
    <div class="state empty" role="status">
      {props.children}
    </div>
  );
}
export function ErrorBox(props: { error: ApiError | string; retry?: () => void }): JSX.Element {
  const msg = () => (typeof props.error === 'string' ? props.error : props.error.message);
  const code = () => (typeof props.error === 'string' ? '' : props.error.code);
  return (
    <div class="state error" role="alert">
      <strong>Something went wrong.</strong> {msg()}
      <Show when={code()}>
        <code class="muted"> ({code()})</code>
      </Show>
      <Show when={props.retry}>
        <button type="button" onClick={() => props.retry?.()}>
          Retry
        </button>
      </Show>
    </div>
  );
}

/// Loading → error (with retry) → the value: the three states of every fetched thing.
export function Async<T>(props: {
  data: Result<T> | undefined;
  retry?: () => void;
  loadingLabel?: string;
  children: (value: T) => JSX.Element;
}): JSX.Element {
  return (
    <Show when={props.data} keyed fallback={<Loading label={props.loadingLabel} />}>
      {(r) => (r.ok ? props.children(r.value) : <ErrorBox error={r.error} retry={props.retry} />)}
    </Show>
  );
}
