import { randomUUID } from 'node:crypto'
import { signHs256 } from '../../src/auth/dev-token.js'
import type { Role } from '../../src/auth/roles.js'

/** The HS256 key every test app is configured with. */
export const TEST_SECRET = 'test-secret-0123456789-0123456789-abcdef'

export interface TokenOptions {
  org?: string | null
  sub?: string
  mentorId?: string
  email?: string
  secret?: string
  extra?: Record<string, unknown>
  expiresIn?: number
}

export function tokenFor(role: Role | Role[], opts: TokenOptions = {}): string {
  const roles = Array.isArray(role) ? role : [role]
  const claims: Record<string, unknown> = {
    sub: opts.sub ?? `${roles[0]}-${randomUUID().slice(0, 8)}`,
    roles,
    ...(opts.org !== null && opts.org !== undefined ? { org: opts.org } : {}),
    ...(opts.mentorId !== undefined ? { mentor_id: opts.mentorId } : {}),
    ...(opts.email !== undefined ? { email: opts.email } : {}),
    ...opts.extra
  }
  return signHs256(opts.secret ?? TEST_SECRET, claims, opts.expiresIn ?? 3600)
}

export const auth = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })
