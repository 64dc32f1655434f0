// One-click suppress / unsuppress, shown only to roles that may change the list.
import { createSignal, Show, type JSX } from 'solid-js';
import { addSuppression, removeSuppression } from '../suppression.api';
import { canWrite, role } from '../../auth/session';
import type { ApiError } from '../../../lib/types';

export function SuppressButton(props: {
  address: string;
  suppressed: boolean;
  onChanged: () => void;
}): JSX.Element {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<ApiError | null>(null);
  const act = async () => {
    setBusy(true);
    setError(null);
    const r = props.suppressed
      ? await removeSuppression(props.address)
      : await addSuppression(props.address, 'manual');
    setBusy(false);
    if (!r.ok) setError(r.error);
    else props.onChanged();
  };
  return (
    <Show when={canWrite(role())}>
      <button
        type="button"
        class={props.suppressed ? '' : 'danger'}
        disabled={busy()}
        onClick={act}
        data-testid="suppress-toggle"
      >
        {props.suppressed ? 'Unsuppress' : 'Suppress'}
      </button>
      <Show when={error()}>
        {(e) => (
          <span class="form-error" role="alert">
            {e().message}
          </span>
        )}
      </Show>
    </Show>
  );
}
