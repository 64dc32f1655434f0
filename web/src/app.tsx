// The shell: session check, navigation, theme, and the route table.
import {
  createResource,
  createSignal,
  For,
  Match,
  onMount,
  Show,
  Switch,
  type JSX,
} from 'solid-js';
import { location, matchRoute, navigate, href } from './lib/router';
import { setUnauthorizedHandler } from './lib/api';
import { currentSession, logout, switchWorkspace } from './modules/auth/auth.api';
import { session, setSession } from './modules/auth/session';
import { SignInPage } from './modules/auth/pages/sign-in';
import { InvitePage } from './modules/auth/pages/invite';
import { SetPasswordPage } from './modules/auth/pages/set-password';
import { OverviewPage } from './modules/overview/pages/overview';
import { EventsPage } from './modules/events/pages/events';
import { RecipientPage } from './modules/recipients/pages/recipient';
import { MessagePage } from './modules/messages/pages/message';
import { SuppressionPage } from './modules/suppression/pages/suppression';
import { ContactsPage } from './modules/contacts/pages/contacts';
import { SendPage } from './modules/send/pages/send';
import { TemplatesPage } from './modules/templates/pages/templates';
import { SettingsPage } from './modules/settings/pages/settings';
import { ExplorePage } from './modules/explore/pages/explore';
import { Loading, ErrorBox } from './components/states';
import { AlertBell } from './modules/guard/components/alert-bell';

const NAV = [
  { path: '/', label: 'Overview' },
  { path: '/events', label: 'Events' },
  { path: '/suppression', label: 'Suppression list' },
  { path: '/contacts', label: 'Contacts' },
  { path: '/send', label: 'Send' },
  { path: '/templates', label: 'Templates' },
  { path: '/explore', label: 'Explore a file' },
  { path: '/settings', label: 'Settings' },
];

type Theme = 'system' | 'light' | 'dark';
function applyTheme(t: Theme) {
  if (t === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = t;
  try {
    localStorage.setItem('sesami-theme', t);
  } catch {
    /* private mode */
  }
  window.dispatchEvent(new Event('sesami-theme'));
}

function ThemeToggle(): JSX.Element {
  const stored = (() => {
    try {
      return localStorage.getItem('sesami-theme') as Theme | null;
    } catch {
      return null;
    }
  })();
  const [theme, setTheme] = createSignal<Theme>(stored ?? 'system');
  onMount(() => applyTheme(theme()));
  return (
    <label class="field inline">
      Theme
      <select
        value={theme()}
        onChange={(e) => {
          const t = e.currentTarget.value as Theme;
          setTheme(t);
          applyTheme(t);
        }}
      >
        <option value="system">System</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}

function Shell(props: { children: JSX.Element }): JSX.Element {
  const [menu, setMenu] = createSignal(false);
  const active = (p: string) =>
    p === '/' ? location().path === '/' : location().path.startsWith(p);
  const signOut = async () => {
    await logout();
    setSession(null);
    navigate('/sign-in');
  };
  return (
    <div class="shell">
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href={href('/')}>
          <span class="logo" aria-hidden="true">
            ◆
          </span>{' '}
          SESami
        </a>
        <button
          type="button"
          class="menu-button"
          aria-expanded={menu()}
          aria-controls="nav"
          onClick={() => setMenu(!menu())}
        >
          Menu
        </button>
        <nav id="nav" class={menu() ? 'open' : ''} aria-label="Main">
          <For each={NAV}>
            {(n) => (
              <a
                href={href(n.path)}
                aria-current={active(n.path) ? 'page' : undefined}
                onClick={() => setMenu(false)}
              >
                {n.label}
              </a>
            )}
          </For>
        </nav>
        <div class="topbar-end">
          <Show when={session()}>
            {(s) => (
              <>
                <Show
                  when={s().workspaces.length > 1}
                  fallback={
                    <span class="muted small" data-testid="workspace">
                      {s().workspace}
                    </span>
                  }
                >
                  <label class="field inline">
                    Workspace
                    <select
                      value={s().workspace}
                      data-testid="workspace-switch"
                      onChange={async (e) => {
                        const r = await switchWorkspace(e.currentTarget.value);
                        if (r.ok) {
                          setSession(r.value);
                          navigate('/');
                        }
                      }}
                    >
                      <For each={s().workspaces}>
                        {(w) => (
                          <option value={w.id}>
                            {w.id} ({w.role})
                          </option>
                        )}
                      </For>
                    </select>
                  </label>
                </Show>
                <AlertBell />
                <span class="badge" title={s().email ?? ''} data-testid="role">
                  {s().role}
                </span>
                <button type="button" class="link" onClick={signOut}>
                  Sign out
                </button>
              </>
            )}
          </Show>
          <ThemeToggle />
        </div>
      </header>
      <main id="main" tabindex="-1">
        {props.children}
      </main>
    </div>
  );
}

export function App(): JSX.Element {
  const [checked, { refetch }] = createResource(async () => {
    const r = await currentSession();
    if (r.ok) setSession(r.value);
    return r;
  });
  setUnauthorizedHandler(() => {
    setSession(null);
    if (
      location().path !== '/sign-in' &&
      location().path !== '/explore' &&
      location().path !== '/invite'
    )
      navigate(
        '/sign-in',
        new URLSearchParams({
          next: location().path + (location().params.toString() ? `?${location().params}` : ''),
        }),
        true,
      );
  });
  const path = () => location().path;
  // The server answered something other than "not signed in" (down, 500): say so, offer retry.
  const unreachable = () => {
    const c = checked();
    return c && !c.ok && c.error.status !== 401 ? c.error : undefined;
  };
  const param = (pattern: string, name: string) => matchRoute(pattern, path())?.[name] ?? '';
  // Explore needs no server: it works signed out, and when the server is down.
  // An invitation link works signed out: redeeming it signs in.
  const needsAuth = () => path() !== '/explore' && path() !== '/sign-in' && path() !== '/invite';

  return (
    <Switch>
      <Match when={path() === '/sign-in'}>
        <SignInPage next={location().params.get('next') ?? '/'} />
      </Match>
      <Match when={path() === '/invite'}>
        <InvitePage token={location().params.get('token') ?? ''} />
      </Match>
      <Match when={needsAuth() && checked.loading}>
        <Loading label="Checking your session…" />
      </Match>
      <Match when={needsAuth() && !session() && unreachable()}>
        <main class="sign-in">
          <ErrorBox error={unreachable()!} retry={refetch} />
        </main>
      </Match>
      <Match when={needsAuth() && !session()}>
        <SignInPage next={path() + (location().params.toString() ? `?${location().params}` : '')} />
      </Match>
      {/* A one-time password's session: setting a password comes before anything else. */}
      <Match when={needsAuth() && session()?.mustChangePassword}>
        <SetPasswordPage
          email={session()?.email}
          next={path() + (location().params.toString() ? `?${location().params}` : '')}
        />
      </Match>
      <Match when={true}>
        <Shell>
          {/* Keyed on the workspace: switching remounts every page, so nothing shows the previous
              workspace's data. */}
          <Show when={session()?.workspace ?? '-'} keyed>
            {(_workspace) => (
              <Switch
                fallback={
                  <section class="page">
                    <h1>Not found</h1>
                    <p>
                      <a href={href('/')}>Back to the overview</a>
                    </p>
                  </section>
                }
              >
                <Match when={path() === '/'}>
                  <OverviewPage />
                </Match>
                <Match when={path() === '/events'}>
                  <EventsPage />
                </Match>
                <Match when={matchRoute('/recipients/:address', path())}>
                  <RecipientPage address={param('/recipients/:address', 'address')} />
                </Match>
                <Match when={matchRoute('/messages/:id', path())}>
                  <MessagePage id={param('/messages/:id', 'id')} />
                </Match>
                <Match when={path() === '/suppression'}>
                  <SuppressionPage />
                </Match>
                <Match when={path() === '/contacts'}>
                  <ContactsPage />
                </Match>
                <Match when={path() === '/send'}>
                  <SendPage />
                </Match>
                <Match when={path() === '/templates'}>
                  <TemplatesPage />
                </Match>
                <Match when={path() === '/settings'}>
                  <SettingsPage />
                </Match>
                <Match when={path() === '/explore'}>
                  <ExplorePage />
                </Match>
              </Switch>
            )}
          </Show>
        </Shell>
      </Match>
    </Switch>
  );
}
