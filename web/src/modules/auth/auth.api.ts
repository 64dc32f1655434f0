// Sign-in and the session. The server keeps an HTTP-only cookie; we keep the CSRF token it hands
// out (sent back on every state-changing request) and who we are: the role decides which buttons
// show (the API enforces roles regardless).
import { json, setCsrfToken, setWorkspace } from '../../lib/api';
import type { Result } from '../../lib/types';

export type Role = 'owner' | 'admin' | 'viewer';
export interface Membership {
  id: string;
  role: Role;
}
export interface Session {
  userId: string;
  email?: string;
  workspace: string;
  role: Role;
  workspaces: Membership[];
  /// Signed in with a one-time password: the app shows only the set-password page (the API
  /// answers 403 auth.password_change_required to everything else).
  mustChangePassword: boolean;
}

interface SessionBody {
  user: { id: string; email?: string };
  workspace: string;
  role: Role;
  csrfToken: string;
  workspaces: Membership[];
  mustChangePassword?: boolean;
}
interface LoginBody {
  user: { id: string; email: string };
  csrfToken: string;
  workspaces: Membership[];
  mustChangePassword?: boolean;
}

export async function currentSession(): Promise<Result<Session>> {
  const r = await json<SessionBody>('GET', '/auth/session');
  if (!r.ok) return r;
  setCsrfToken(r.value.csrfToken);
  return {
    ok: true,
    value: {
      userId: r.value.user.id,
      email: r.value.user.email,
      workspace: r.value.workspace,
      role: r.value.role,
      workspaces: r.value.workspaces ?? [],
      mustChangePassword: r.value.mustChangePassword === true,
    },
  };
}

export async function login(email: string, password: string): Promise<Result<Session>> {
  const r = await json<LoginBody>('POST', '/auth/login', { body: { email, password } });
  if (!r.ok) return r;
  setCsrfToken(r.value.csrfToken);
  // The login answer lists memberships; the session answer says which one is active and its role.
  const s = await currentSession();
  return s.ok ? { ok: true, value: { ...s.value, email: r.value.user.email } } : s;
}

/// Joins a workspace with an invitation's one-time token: a new account chooses its password, an
/// existing one confirms its own; either way the answer is a sign-in.
export async function redeemInvitation(token: string, password: string): Promise<Result<Session>> {
  const r = await json<LoginBody>('POST', '/invitations/redeem', { body: { token, password } });
  if (!r.ok) return r;
  setCsrfToken(r.value.csrfToken);
  const s = await currentSession();
  return s.ok ? { ok: true, value: { ...s.value, email: r.value.user.email } } : s;
}

/// The signed-in user's new password; the current one (a one-time password too) proves it is them.
export function setPassword(currentPassword: string, newPassword: string): Promise<Result<void>> {
  return json<void>('POST', '/auth/password', { body: { currentPassword, newPassword } });
}

export async function logout(): Promise<Result<void>> {
  const r = await json<void>('POST', '/auth/logout');
  setCsrfToken(undefined);
  return r;
}

/// Later requests name this workspace (X-Sesami-Workspace); the server checks membership.
export async function switchWorkspace(id: string): Promise<Result<Session>> {
  setWorkspace(id);
  return currentSession();
}

/// How this server signs people in (GET /auth/config, no credentials): passwords, and/or an
/// OpenID Connect provider whose button starts at `loginUrl`.
export interface SignInConfig {
  passwordLogin: boolean;
  oidc: { name: string; loginUrl: string } | null;
}
export function signInConfig(): Promise<Result<SignInConfig>> {
  return json<SignInConfig>('GET', '/auth/config');
}

/// What a refused sign-in through the provider means (GET /auth/oidc/callback → /?signin_error=).
export function oidcErrorText(code: string): string {
  switch (code) {
    case 'oidc.no_access':
      return 'That account has no access to SESami yet: ask an admin to invite your email address.';
    case 'oidc.email_unverified':
      return 'Your identity provider has not verified your email address.';
    case 'oidc.no_email':
      return 'Your identity provider did not tell SESami your email address.';
    case 'oidc.bad_state':
      return 'That sign-in expired or was started in another browser. Please try again.';
    case 'oidc.provider_refused':
      return 'The identity provider did not sign you in.';
    case 'oidc.unavailable':
      return 'The identity provider cannot be reached right now. Please try again later.';
    default:
      return `The sign-in was refused (${code}). Please try again, or ask your administrator.`;
  }
}
