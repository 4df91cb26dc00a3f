export const ROLES = ['platform_admin', 'admin', 'coordinator', 'referrer', 'mentor', 'integration'] as const
export type Role = typeof ROLES[number]

/** The caller as the token describes it, checked once per request. */
export interface Caller {
  sub: string
  org: string | null
  roles: Role[]
  email: string | null
  name: string | null
  mentorId: string | null
}

export function hasRole (caller: Caller, ...roles: Role[]): boolean {
  return caller.roles.some((r) => roles.includes(r))
}

/** A role label for history and audit: the most privileged role the caller used. */
export function primaryRole (caller: Caller, allowed?: readonly Role[]): Role {
  const order: Role[] = ['coordinator', 'admin', 'integration', 'referrer', 'mentor', 'platform_admin']
  for (const r of order) {
    if (caller.roles.includes(r) && (allowed === undefined || allowed.includes(r))) return r
  }
  return caller.roles[0]
}
