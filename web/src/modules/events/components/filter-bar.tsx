// The events filter: every control writes the URL (replace, so Back leaves the page), and the page
// reads the URL. Text inputs commit after a short pause so typing does not re-filter per key.
import { For, Show, createSignal, type JSX } from 'solid-js';
import { PRESETS, PRESET_LABELS, type ViewState, type Preset } from '../../../lib/filter';
import { EVENT_TYPES, STATUSES, type MachineMode } from '../../../lib/types';
import { TYPE_LABELS } from '../../../lib/event-text';
import { fromLocalInput, toLocalInput } from '../../../lib/time';

function MultiSelect<T extends string>(props: {
  label: string;
  name: string;
  options: readonly T[];
  selected: T[];
  text?: (v: T) => string;
  onChange: (v: T[]) => void;
}): JSX.Element {
  const summary = () =>
    props.selected.length ? props.selected.map((v) => props.text?.(v) ?? v).join(', ') : 'All';
  return (
    // Closes when focus leaves it or on Escape, like a native select.
    <details
      class="multi"
      data-filter={props.name}
      onFocusOut={(e) => {
        const d = e.currentTarget;
        if (!d.contains(e.relatedTarget as Node | null)) d.open = false;
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && e.currentTarget.open) {
          e.currentTarget.open = false;
          (e.currentTarget.querySelector('summary') as HTMLElement).focus();
        }
      }}
    >
      <summary aria-label={`${props.label}: ${summary()}`}>
        <span class="muted">{props.label}:</span> <span class="ellipsis">{summary()}</span>
      </summary>
      <fieldset>
        <legend class="sr-only">{props.label}</legend>
        <For each={props.options}>
          {(o) => (
            <label class="check">
              <input
                type="checkbox"
                name={props.name}
                value={o}
                checked={props.selected.includes(o)}
                onChange={(e) =>
                  props.onChange(
                    e.currentTarget.checked
                      ? props.options.filter((x) => x === o || props.selected.includes(x))
                      : props.selected.filter((x) => x !== o),
                  )
                }
              />
              {props.text?.(o) ?? o}
            </label>
          )}
        </For>
        <Show when={props.selected.length}>
          <button type="button" class="link" onClick={() => props.onChange([])}>
            Clear
          </button>
        </Show>
      </fieldset>
    </details>
  );
}

function DebouncedInput(props: {
  label: string;
  name: string;
  value: string;
  placeholder?: string;
  onCommit: (v: string) => void;
}): JSX.Element {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const [local, setLocal] = createSignal(props.value);
  return (
    <label class="field">
      {props.label}
      <input
        type="search"
        name={props.name}
        value={props.value}
        placeholder={props.placeholder}
        onInput={(e) => {
          setLocal(e.currentTarget.value);
          clearTimeout(timer);
          timer = setTimeout(() => props.onCommit(local().trim()), 250);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            clearTimeout(timer);
            props.onCommit(e.currentTarget.value.trim());
          }
        }}
      />
    </label>
  );
}

export function FilterBar(props: {
  view: ViewState;
  onChange: (v: ViewState) => void;
}): JSX.Element {
  const set = (patch: Partial<ViewState>) => props.onChange({ ...props.view, ...patch });
  return (
    <form
      class="filters"
      role="search"
      aria-label="Filter events"
      onSubmit={(e) => e.preventDefault()}
    >
      <label class="field">
        Range
        <select
          name="range"
          value={props.view.preset}
          onChange={(e) => {
            const preset = e.currentTarget.value as Preset;
            if (preset === 'custom') {
              const to = new Date().toISOString();
              set({
                preset,
                to,
                from: props.view.from ?? new Date(Date.now() - 7 * 86400_000).toISOString(),
              });
            } else set({ preset, from: undefined, to: undefined });
          }}
        >
          <For each={PRESETS}>{(p) => <option value={p}>{PRESET_LABELS[p]}</option>}</For>
        </select>
      </label>
      <Show when={props.view.preset === 'custom'}>
        <label class="field">
          From (UTC)
          <input
            type="datetime-local"
            name="from"
            value={toLocalInput(props.view.from)}
            onChange={(e) => set({ from: fromLocalInput(e.currentTarget.value) })}
          />
        </label>
        <label class="field">
          To (UTC)
          <input
            type="datetime-local"
            name="to"
            value={toLocalInput(props.view.to)}
            onChange={(e) => set({ to: fromLocalInput(e.currentTarget.value) })}
          />
        </label>
      </Show>
      <MultiSelect
        label="Status"
        name="status"
        options={STATUSES}
        selected={props.view.status}
        onChange={(status) => set({ status })}
      />
      <MultiSelect
        label="Type"
        name="type"
        options={EVENT_TYPES}
        selected={props.view.type}
        text={(t) => TYPE_LABELS[t]}
        onChange={(type) => set({ type })}
      />
      <DebouncedInput
        label="Recipient"
        name="recipient"
        value={props.view.recipient}
        placeholder="bob@x.com, @x.com or part"
        onCommit={(recipient) => set({ recipient })}
      />
      <DebouncedInput
        label="Message id"
        name="messageId"
        value={props.view.messageId}
        onCommit={(messageId) => set({ messageId })}
      />
      <DebouncedInput
        label="Tag"
        name="tag"
        value={props.view.tag}
        placeholder="name=value"
        onCommit={(tag) => set({ tag })}
      />
      <label class="field">
        Machine events
        <select
          name="machine"
          value={props.view.machine}
          onChange={(e) => set({ machine: e.currentTarget.value as MachineMode })}
        >
          <option value="include">Included</option>
          <option value="exclude">Excluded</option>
          <option value="only">Only machine</option>
        </select>
      </label>
    </form>
  );
}
