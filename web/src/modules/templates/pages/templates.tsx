// Email templates: the list, and an editor whose preview is rendered as you type by the wasm core
// — the same renderer the server and the simulator use, with SES's rules — from sample data
// written as JSON. Variables the data lacks are listed: SES would not deliver such a mail.
import { createMemo, createResource, createSignal, For, Show, type JSX } from 'solid-js';
import {
  deleteTemplate,
  fetchTemplate,
  fetchTemplates,
  saveTemplate,
  TEMPLATE_NAME,
  type TemplateInput,
} from '../templates.api';
import { engine, type Engine } from '../../../lib/sesami';
import { canAdmin, role } from '../../auth/session';
import { Async, Empty } from '../../../components/states';
import { href, location, navigate } from '../../../lib/router';
import { formatTime } from '../../../lib/time';
import type { ApiError } from '../../../lib/types';

const BLANK: TemplateInput = {
  name: '',
  subject: 'Your order {{order.id}}',
  text: 'Hi {{name}},\n{{#each items}}\n- {{title}}\n{{/each}}\nThanks!',
  html: '<p>Hi {{name}},</p>\n<ul>{{#each items}}<li>{{title}}</li>{{/each}}</ul>',
};
const SAMPLE =
  '{\n  "name": "Ann",\n  "order": { "id": 42 },\n  "items": [{ "title": "Tea" }, { "title": "Cups" }]\n}';

function Preview(props: { eng: Engine; template: TemplateInput; data: string }): JSX.Element {
  const out = createMemo(() => props.eng.renderTemplate(props.template, props.data));
  return (
    <Show when={out()} keyed>
      {(r) =>
        !r.ok ? (
          <p class="form-error" role="alert" data-testid="preview-error">
            {r.error.message}
          </p>
        ) : (
          <div class="stack" data-testid="preview">
            <Show when={r.value.missing.length}>
              <div class="alert" role="status" data-testid="preview-missing">
                <strong>Missing in the data:</strong> {r.value.missing.join(', ')}. SES would not
                deliver this mail (a Rendering Failure); SESami refuses to send it.
              </div>
            </Show>
            <p>
              <span class="muted small">Subject</span>
              <br />
              <strong data-testid="preview-subject">{r.value.subject}</strong>
            </p>
            <Show when={r.value.text}>
              <pre class="small" data-testid="preview-text">
                {r.value.text}
              </pre>
            </Show>
            <Show when={r.value.html}>
              {/* Sandboxed: no scripts, no same origin; SES does not escape HTML and neither does the preview. */}
              <iframe
                title="HTML preview"
                sandbox=""
                class="preview-frame"
                data-testid="preview-html"
                srcdoc={r.value.html}
              />
            </Show>
          </div>
        )
      }
    </Show>
  );
}

function Editor(props: { name: string | null; onSaved: () => void }): JSX.Element {
  const isNew = () => props.name === null;
  const [form, setForm] = createSignal<TemplateInput>({ ...BLANK });
  const [data, setData] = createSignal(SAMPLE);
  const [error, setError] = createSignal<ApiError | null>(null);
  const [saved, setSaved] = createSignal(false);
  const [loaded] = createResource(
    () => props.name,
    async (n) => {
      const r = await fetchTemplate(n);
      if (r.ok)
        setForm({
          name: r.value.name,
          subject: r.value.subject,
          text: r.value.text,
          html: r.value.html,
        });
      return r;
    },
  );
  const [eng] = createResource(engine);
  const set = (k: keyof TemplateInput, v: string) => {
    setForm({ ...form(), [k]: v });
    setSaved(false);
  };
  const nameError = () =>
    isNew() && form().name && !TEMPLATE_NAME.test(form().name)
      ? "Letters, digits, _ and - only, at most 64 (SES's rule)."
      : '';
  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const r = await saveTemplate(form(), isNew());
    if (!r.ok) {
      setError(r.error);
      return;
    }
    setSaved(true);
    props.onSaved();
    if (isNew()) navigate('/templates', new URLSearchParams({ name: r.value.name }));
  };
  const editable = () => canAdmin(role());
  return (
    <section class="card stack" aria-labelledby="editor-title" data-testid="template-editor">
      <h2 id="editor-title">{isNew() ? 'New template' : `Template ${props.name}`}</h2>
      <Show when={!loaded.loading} fallback={<p class="muted">Loading…</p>}>
        <Show
          when={!loaded() || loaded()!.ok}
          fallback={<p class="form-error">{(loaded() as { error: ApiError }).error.message}</p>}
        >
          <div class="grid2">
            <form class="stack" onSubmit={save} novalidate>
              <Show when={isNew()}>
                <div class="field">
                  <label for="tpl-name">Name</label>
                  <input
                    id="tpl-name"
                    name="name"
                    value={form().name}
                    onInput={(e) => set('name', e.currentTarget.value)}
                    aria-invalid={nameError() ? 'true' : undefined}
                  />
                  <span class={nameError() ? 'form-error small' : 'muted small'}>
                    {nameError() || 'How sends name it: "template": "name".'}
                  </span>
                </div>
              </Show>
              <div class="field">
                <label for="tpl-subject">Subject</label>
                <input
                  id="tpl-subject"
                  name="subject"
                  value={form().subject}
                  onInput={(e) => set('subject', e.currentTarget.value)}
                  readOnly={!editable()}
                />
              </div>
              <div class="field">
                <label for="tpl-text">Text</label>
                <textarea
                  id="tpl-text"
                  name="text"
                  rows={6}
                  class="mono"
                  value={form().text}
                  onInput={(e) => set('text', e.currentTarget.value)}
                  readOnly={!editable()}
                />
              </div>
              <div class="field">
                <label for="tpl-html">HTML</label>
                <textarea
                  id="tpl-html"
                  name="html"
                  rows={6}
                  class="mono"
                  value={form().html}
                  onInput={(e) => set('html', e.currentTarget.value)}
                  readOnly={!editable()}
                />
                <span class="muted small">
                  {
                    "{{name}}, {{contact.city}}, {{#if x}}…{{else}}…{{/if}}, {{#each list}}…{{/each}}: SES's Handlebars. HTML is not escaped (SES does not)."
                  }
                </span>
              </div>
              <Show when={editable()}>
                <div class="row wrap gap">
                  <button type="submit" class="primary" data-testid="template-save">
                    {isNew() ? 'Create' : 'Save'}
                  </button>
                  <Show when={saved()}>
                    <span class="small" role="status">
                      Saved.
                    </span>
                  </Show>
                </div>
              </Show>
              <Show when={error()}>
                {(e) => (
                  <p class="form-error" role="alert" data-testid="template-error">
                    {e().message} <code>({e().code})</code>
                  </p>
                )}
              </Show>
            </form>
            <div class="stack">
              <div class="field">
                <label for="tpl-data">Sample data (JSON)</label>
                <textarea
                  id="tpl-data"
                  name="data"
                  rows={6}
                  class="mono"
                  value={data()}
                  onInput={(e) => setData(e.currentTarget.value)}
                />
              </div>
              <h3>Preview</h3>
              <Show when={eng()} fallback={<p class="muted">Loading the renderer…</p>}>
                {(r) => {
                  const v = r();
                  return v.ok ? (
                    <Preview eng={v.value} template={form()} data={data()} />
                  ) : (
                    <p class="form-error">{v.error.message}</p>
                  );
                }}
              </Show>
            </div>
          </div>
        </Show>
      </Show>
    </section>
  );
}

export function TemplatesPage(): JSX.Element {
  const [version, setVersion] = createSignal(0);
  const [list, { refetch }] = createResource(version, () => fetchTemplates());
  const selected = () => location().params.get('name');
  const creating = () => location().params.get('new') === '1';
  const remove = async (name: string) => {
    if (!confirm(`Delete template ${name}?`)) return;
    const r = await deleteTemplate(name);
    if (r.ok) {
      navigate('/templates');
      setVersion((v) => v + 1);
    }
  };
  return (
    <section class="page" aria-labelledby="templates-title">
      <header class="page-head row wrap gap">
        <h1 id="templates-title" class="grow">
          Templates
        </h1>
        <Show when={canAdmin(role())}>
          <a
            class="button primary"
            href={href('/templates', new URLSearchParams({ new: '1' }))}
            data-testid="template-new"
          >
            New template
          </a>
        </Show>
      </header>
      <div class="stack">
        <Async data={list()} retry={refetch}>
          {(p) => (
            <div class="card stack">
              <p class="small muted" data-testid="templates-stored-in">
                {p.storedIn === 'ses'
                  ? 'Stored in Amazon SES in your account: SES renders them when it sends.'
                  : "Stored by SESami for the simulator, rendered with SES's rules."}
              </p>
              <Show when={p.templates.length} fallback={<Empty>No templates yet.</Empty>}>
                <ul class="plain" data-testid="templates">
                  <For each={p.templates}>
                    {(t) => (
                      <li class="row wrap gap" data-name={t.name}>
                        <a
                          class="mono"
                          href={href('/templates', new URLSearchParams({ name: t.name }))}
                        >
                          {t.name}
                        </a>
                        <span class="grow small">{t.subject}</span>
                        <Show when={t.updatedAt}>
                          <time class="small muted" datetime={t.updatedAt!}>
                            {formatTime(t.updatedAt!)}
                          </time>
                        </Show>
                        <Show when={canAdmin(role())}>
                          <button type="button" class="link" onClick={() => remove(t.name)}>
                            Delete
                          </button>
                        </Show>
                      </li>
                    )}
                  </For>
                </ul>
              </Show>
            </div>
          )}
        </Async>
        <Show when={creating()}>
          <Editor name={null} onSaved={() => setVersion((v) => v + 1)} />
        </Show>
        <Show when={selected()} keyed>
          {(n) => <Editor name={n} onSaved={() => setVersion((v) => v + 1)} />}
        </Show>
      </div>
    </section>
  );
}
