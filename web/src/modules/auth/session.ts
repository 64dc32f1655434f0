// Who is signed in, app-wide.
import { createSignal } from 'solid-js';
import type { Role, Session } from './auth.api';

const [session, setSession] = createSignal<Session | null>(null);
export { session, setSession };

/// Viewers see no destructive buttons (the API refuses them anyway).
export function canWrite(role: Role | undefined): boolean {
  return role === 'owner' || role === 'admin';
}
export function canAdmin(role: Role | undefined): boolean {
  return role === 'owner' || role === 'admin';
}
export const role = (): Role | undefined => session()?.role;
