export const ROLES = ['platform_admin', 'admin', 'coordinator', 'referrer', 'mentor', 'integration'] as const
export type Role = (typeof ROLES)[number]

/** The caller as the token describes it, checked once per request. */
export interface Caller {
  sub: string
  org: string | null
  roles: Role[]
  email: string | null
  name: string | null
  mentorId: string | null
}

export function hasRole(caller: Caller, ...roles: Role[]): boolean {
  return caller.roles.some((r) => roles.includes(r))
}

/** A role label for history and audit: the most privileged role the caller used. */
export function primaryRole(caller: Caller, allowed?: readonly Role[]): Role {
  const order: Role[] = ['coordinator', 'admin', 'integration', 'referrer', 'mentor', 'platform_admin']
  for (const r of order) {
    if (caller.roles.includes(r) && (allowed === undefined || allowed.includes(r))) return r
  }
  return caller.roles[0]
}

/** A mentor id no mentor has. */
export const NO_MENTOR = '00000000-0000-0000-0000-000000000000'

/**
 * A mentor whose record is suspended or withdrawn is served as a stranger: its mentor id becomes one
 * no mentor has and, when mentoring is all its token may do, its subject one nobody has, so nothing
 * scoped to either (matches, the profile, concerns it raised, stored idempotent replies) is found.
 * Any other role on the token keeps what it may do.
 */
export function asStranger(caller: Caller): Caller {
  const onlyMentor = caller.roles.every((r) => r === 'mentor')
  return { ...caller, mentorId: NO_MENTOR, sub: onlyMentor ? `revoked-mentor:${caller.sub}` : caller.sub }
}
