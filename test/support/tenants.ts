import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Role } from '../../src/auth/roles.js'
import { auth, tokenFor, type TokenOptions } from './tokens.js'

export interface Tenant {
  orgId: string
  code: string
  token: (role: Role | Role[], opts?: TokenOptions) => string
  programme: (rules?: Record<string, unknown>, extra?: Record<string, unknown>) => Promise<string>
}

let codeCounter = 0
/** Creates an organisation through the API and returns helpers scoped to it. */
export async function createTenant(app: FastifyInstance, code?: string): Promise<Tenant> {
  codeCounter += 1
  const orgCode =
    code ??
    `T${String.fromCharCode(65 + (codeCounter % 26))}${String.fromCharCode(65 + Math.floor(Math.random() * 26))}${String.fromCharCode(65 + Math.floor(Math.random() * 26))}`
  const res = await app.inject({
    method: 'POST',
    url: '/v1/organisations',
    headers: auth(tokenFor('platform_admin', { org: null })),
    payload: { name: `Org ${orgCode}`, code: orgCode }
  })
  if (res.statusCode !== 201) throw new Error(`organisation: ${res.statusCode} ${res.body}`)
  const orgId = res.json().id as string
  const adminToken = tokenFor('admin', { org: orgId })
  return {
    orgId,
    code: orgCode,
    token: (role, opts = {}) => tokenFor(role, { org: orgId, ...opts }),
    programme: async (rules = {}, extra = {}) => {
      const p = await app.inject({
        method: 'POST',
        url: '/v1/programmes',
        headers: auth(adminToken),
        payload: { name: `Programme ${randomUUID().slice(0, 6)}`, kind: 'mentoring', rules, ...extra }
      })
      if (p.statusCode !== 201) throw new Error(`programme: ${p.statusCode} ${p.body}`)
      return p.json().id as string
    }
  }
}

/** Adds a coordinator to the staff directory (coordinators' alerts go to its email). */
export async function addCoordinator(app: FastifyInstance, adminToken: string, email: string): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/users',
    headers: auth(adminToken),
    payload: { email, name: 'Coordinator', roles: ['coordinator'] }
  })
  if (res.statusCode !== 201) throw new Error(`user: ${res.statusCode} ${res.body}`)
  return res.json().id
}
