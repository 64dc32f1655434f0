// Who is signed in, app-wide.
import { createSignal } from 'solid-js';
import type { Role, Session } from './auth.api';

const [session, setSession] = createSignal<Session | null>(null);
export { session, setSession };

/// The one-time password just typed into the sign-in form, kept in memory only until the
/// set-password page has used it (so that page need not ask for it again; after a reload it does).
const [oneTimePassword, setOneTimePassword] = createSignal<string | null>(null);
export { oneTimePassword, setOneTimePassword };

/// Viewers see no destructive buttons (the API refuses them anyway).
export function canWrite(role: Role | undefined): boolean {
  return role === 'owner' || role === 'admin';
}
export function canAdmin(role: Role | undefined): boolean {
  return role === 'owner' || role === 'admin';
}
export const role = (): Role | undefined => session()?.role;
