// Topics and contacts (issue #20): the workspace's topics (add, describe, default, delete), and
// contacts with their choice per topic (search, edit, CSV import and export). Mail sent with a
// topic reaches only those subscribed to it; mail without one is transactional.
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import {
  createTopic,
  deleteContact,
  deleteTopic,
  exportContactsCsv,
  getContact,
  importContactsCsv,
  listContacts,
  listTopics,
  problemLines,
  putContact,
  updateTopic,
  type Contact,
  type Topic,
  type TopicStatus,
} from '../contacts.api';
import { Async, Empty } from '../../../components/states';
import { canWrite, role } from '../../auth/session';
import { download } from '../../../lib/csv';
import type { ApiError } from '../../../lib/types';

function TopicsPanel(props: { onChange: () => void }): JSX.Element {
  const [topics, { refetch }] = createResource(listTopics);
  const [name, setName] = createSignal('');
  const [description, setDescription] = createSignal('');
  const [optIn, setOptIn] = createSignal(false);
  const [error, setError] = createSignal<ApiError | null>(null);
  const after = (r: { ok: boolean; error?: ApiError }) => {
    if (!r.ok) {
      setError(r.error ?? null);
      return false;
    }
    setError(null);
    refetch();
    props.onChange();
    return true;
  };
  const add = async (e: Event) => {
    e.preventDefault();
    if (after(await createTopic(name().trim(), description().trim(), !optIn()))) {
      setName('');
      setDescription('');
      setOptIn(false);
    }
  };
  const remove = async (t: Topic) => {
    if (!confirm(`Delete the topic ${t.name} and every contact's choice for it?`)) return;
    after(await deleteTopic(t.name));
  };
  return (
    <section class="card stack" aria-labelledby="topics-title" data-testid="topics">
      <h2 id="topics-title">Topics</h2>
      <p class="small muted">
        Send with <code>"topic": "name"</code>: only recipients subscribed to that topic get the
        mail, and its unsubscribe link leaves that topic only. Mail without a topic (receipts,
        password resets) is transactional.
      </p>
      <Async data={topics()} retry={refetch}>
        {(r) => (
          <Show when={r.topics.length} fallback={<Empty>No topics yet.</Empty>}>
            <table class="table" aria-label="Topics">
              <thead>
                <tr>
                  <th scope="col">Topic</th>
                  <th scope="col">Description</th>
                  <th scope="col">Contacts without a choice</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                <For each={r.topics}>
                  {(t) => (
                    <tr data-topic={t.name}>
                      <td>
                        <code>{t.name}</code>
                      </td>
                      <td>{t.description}</td>
                      <td>
                        <Show
                          when={canWrite(role())}
                          fallback={t.defaultSubscribed ? 'subscribed' : 'not subscribed'}
                        >
                          <select
                            aria-label={`Default for ${t.name}`}
                            value={t.defaultSubscribed ? 'in' : 'out'}
                            onChange={async (e) =>
                              after(
                                await updateTopic(t.name, {
                                  defaultSubscribed: e.currentTarget.value === 'in',
                                }),
                              )
                            }
                          >
                            <option value="in">subscribed (opt-out)</option>
                            <option value="out">not subscribed (opt-in)</option>
                          </select>
                        </Show>
                      </td>
                      <td>
                        <Show when={canWrite(role())}>
                          <button
                            type="button"
                            class="link danger"
                            onClick={() => remove(t)}
                            aria-label={`Delete topic ${t.name}`}
                          >
                            Delete
                          </button>
                        </Show>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </Show>
        )}
      </Async>
      <Show when={canWrite(role())}>
        <form class="row wrap gap end" onSubmit={add} aria-label="Add a topic">
          <label class="field">
            Name
            <input
              name="topic-name"
              required
              pattern="[A-Za-z0-9_\-]{1,64}"
              value={name()}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
          <label class="field grow">
            Description
            <input
              name="topic-description"
              value={description()}
              onInput={(e) => setDescription(e.currentTarget.value)}
            />
          </label>
          <label class="field inline">
            <input
              type="checkbox"
              checked={optIn()}
              onChange={(e) => setOptIn(e.currentTarget.checked)}
            />{' '}
            Opt-in (nobody subscribed until they choose)
          </label>
          <button type="submit" class="primary">
            Add topic
          </button>
        </form>
      </Show>
      <Show when={error()}>
        {(e) => (
          <p class="form-error" role="alert">
            {e().message}
          </p>
        )}
      </Show>
    </section>
  );
}

/// One contact's standing on every topic, editable by writers.
function ContactEditor(props: {
  address: string;
  onSaved: () => void;
  onClose: () => void;
}): JSX.Element {
  const [contact, { refetch }] = createResource(() => props.address, getContact);
  const [error, setError] = createSignal<ApiError | null>(null);
  const [saved, setSaved] = createSignal(false);
  const save = async (c: Contact, e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const topics: Record<string, TopicStatus> = {};
    for (const name of Object.keys(c.topics)) {
      const v = (form.elements.namedItem(`t-${name}`) as HTMLSelectElement | null)?.value;
      if (v === 'subscribed' || v === 'unsubscribed') topics[name] = v;
    }
    const r = await putContact(c.address, topics);
    if (!r.ok) {
      setError(r.error);
      setSaved(false);
      return;
    }
    setError(null);
    setSaved(true);
    refetch();
    props.onSaved();
  };
  return (
    <section class="card stack" aria-labelledby="contact-title" data-testid="contact-editor">
      <div class="row wrap gap">
        <h2 id="contact-title" class="grow">
          {props.address}
        </h2>
        <button type="button" class="link" onClick={props.onClose}>
          Close
        </button>
      </div>
      <Async data={contact()} retry={refetch}>
        {(c) => (
          <form class="stack" onSubmit={(e) => save(c, e)} aria-label={`Topics of ${c.address}`}>
            <Show when={c.suppressed}>
              <p class="alert small">
                On the suppression list ({c.suppressed}): no mail reaches this address, whatever its
                topics.
              </p>
            </Show>
            <Show
              when={Object.keys(c.topics).length}
              fallback={<p class="small muted">No topics yet.</p>}
            >
              <For each={Object.keys(c.topics)}>
                {(name) => (
                  <label class="field inline">
                    {name}
                    <select
                      name={`t-${name}`}
                      disabled={!canWrite(role())}
                      value={c.choices[name] ?? 'default'}
                    >
                      <option value="default">topic default</option>
                      <option value="subscribed">subscribed</option>
                      <option value="unsubscribed">unsubscribed</option>
                    </select>
                  </label>
                )}
              </For>
              <Show when={canWrite(role())}>
                <div>
                  <button type="submit" class="primary">
                    Save
                  </button>
                </div>
              </Show>
            </Show>
            <Show when={saved()}>
              <p class="notice" role="status">
                Saved.
              </p>
            </Show>
            <Show when={error()}>
              {(e) => (
                <p class="form-error" role="alert">
                  {e().message}
                </p>
              )}
            </Show>
          </form>
        )}
      </Async>
    </section>
  );
}

export function ContactsPage(): JSX.Element {
  const [query, setQuery] = createSignal('');
  const [data, { refetch }] = createResource(query, (q) => listContacts(q));
  const [open, setOpen] = createSignal<string | null>(null);
  const [address, setAddress] = createSignal('');
  const [error, setError] = createSignal<ApiError | null>(null);
  const [problems, setProblems] = createSignal<string[]>([]);
  const [notice, setNotice] = createSignal('');
  let timer: ReturnType<typeof setTimeout> | undefined;

  const exportCsv = async () => {
    const r = await exportContactsCsv();
    if (r.ok) download('sesami-contacts.csv', r.value);
    else setError(r.error);
  };
  const importCsv = async (file: File | undefined) => {
    if (!file) return;
    const r = await importContactsCsv(await file.text());
    if (!r.ok) {
      setError(r.error);
      setProblems(problemLines(r.error.details));
      setNotice('');
      return;
    }
    setError(null);
    setProblems([]);
    setNotice(`Imported ${r.value.imported} contacts.`);
    refetch();
  };
  const add = async (e: Event) => {
    e.preventDefault();
    const a = address().trim().toLowerCase();
    if (!a) return;
    const r = await putContact(a, {});
    if (!r.ok) {
      setError(r.error);
      return;
    }
    setError(null);
    setAddress('');
    setOpen(a);
    refetch();
  };
  const remove = async (a: string) => {
    const r = await deleteContact(a);
    if (!r.ok) {
      setError(r.error);
      return;
    }
    if (open() === a) setOpen(null);
    refetch();
  };

  return (
    <section class="page" aria-labelledby="contacts-title">
      <header class="page-head">
        <h1 id="contacts-title">Contacts</h1>
        <div class="actions">
          <button type="button" onClick={exportCsv}>
            Export CSV
          </button>
          <Show when={canWrite(role())}>
            <label class="button">
              Import CSV
              <input
                type="file"
                accept=".csv,text/csv"
                class="sr-only"
                data-testid="import-contacts"
                onChange={(e) => {
                  importCsv(e.currentTarget.files?.[0]);
                  e.currentTarget.value = '';
                }}
              />
            </label>
          </Show>
        </div>
      </header>
      <TopicsPanel onChange={refetch} />
      <Show when={error()}>
        {(e) => (
          <div class="alert" role="alert" data-code={e().code}>
            <p>{e().message}</p>
            <Show when={problems().length}>
              <ul class="small" data-testid="import-problems">
                <For each={problems()}>{(p) => <li>{p}</li>}</For>
              </ul>
            </Show>
          </div>
        )}
      </Show>
      <Show when={notice()}>
        <p class="notice" role="status">
          {notice()}
        </p>
      </Show>
      <div class="row wrap gap">
        <label class="field grow">
          Search
          <input
            type="search"
            name="q"
            placeholder="part of an address"
            onInput={(e) => {
              const v = e.currentTarget.value;
              clearTimeout(timer);
              timer = setTimeout(() => setQuery(v.trim().toLowerCase()), 250);
            }}
          />
        </label>
        <Show when={canWrite(role())}>
          <form class="row wrap gap end" onSubmit={add} aria-label="Add a contact">
            <label class="field">
              Address
              <input
                type="email"
                name="contact-address"
                required
                value={address()}
                onInput={(e) => setAddress(e.currentTarget.value)}
              />
            </label>
            <button type="submit">Add contact</button>
          </form>
        </Show>
      </div>
      <Show when={open()}>
        {(a) => <ContactEditor address={a()} onSaved={refetch} onClose={() => setOpen(null)} />}
      </Show>
      <Async data={data()} retry={refetch}>
        {(page) => (
          <Show
            when={page.contacts.length}
            fallback={
              <Empty>
                {query()
                  ? 'No contact matches.'
                  : 'No contacts yet: recipients become contacts when they choose on their preference page, or import a CSV.'}
              </Empty>
            }
          >
            <table class="table" aria-label="Contacts">
              <thead>
                <tr>
                  <th scope="col">Address</th>
                  <th scope="col">Choices</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                <For each={page.contacts}>
                  {(c) => (
                    <tr data-address={c.address}>
                      <td>
                        <button type="button" class="link" onClick={() => setOpen(c.address)}>
                          {c.address}
                        </button>
                      </td>
                      <td class="small">
                        {Object.entries(c.choices)
                          .map(([t, s]) => `${t}: ${s}`)
                          .join(', ') || <span class="muted">defaults</span>}
                      </td>
                      <td>
                        <Show when={canWrite(role())}>
                          <button
                            type="button"
                            class="link danger"
                            onClick={() => remove(c.address)}
                            aria-label={`Delete contact ${c.address}`}
                          >
                            Delete
                          </button>
                        </Show>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
            <Show when={page.next}>
              <p class="muted small">
                Showing the first {page.contacts.length}; search to narrow down.
              </p>
            </Show>
          </Show>
        )}
      </Async>
    </section>
  );
}
