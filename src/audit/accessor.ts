import type { FastifyRequest } from 'fastify'
import { primaryRole } from '../auth/roles.js'
import { AppError } from '../errors/catalogue.js'
import type { Accessor } from './audit.repository.js'

export const PURPOSE_HEADER = 'x-access-purpose'
export const PURPOSE_MAX = 200

/** The `X-Access-Purpose` of a request: at most 200 characters (else 400); blank is none. */
export function purposeOf (request: FastifyRequest): string | null {
  const given = request.headers[PURPOSE_HEADER]
  if (given === undefined) return null
  const value = Array.isArray(given) ? given.join(', ') : given
  if (value.length > PURPOSE_MAX) {
    throw new AppError('validation_failed', `The ${PURPOSE_HEADER} header is longer than ${PURPOSE_MAX} characters`, {
      errors: [{ path: `headers/${PURPOSE_HEADER}`, message: `must be at most ${PURPOSE_MAX} characters` }]
    })
  }
  const trimmed = value.trim()
  return trimmed === '' ? null : trimmed
}

/** Who reads or changes records in this request: the caller, with the role the route let it act in. */
export function accessorOf (request: FastifyRequest): Accessor {
  const caller = request.caller
  return {
    org: caller.org as string,
    actorId: caller.sub,
    actorRole: primaryRole(caller, request.routeOptions.config.roles),
    purpose: purposeOf(request),
    requestId: request.id
  }
}

/** A scheduled job run acting on an organisation's records. */
export function jobAccessor (org: string, jobName: string, runId: string): Accessor {
  return { org, actorId: `job:${jobName}`, actorRole: 'system', purpose: null, requestId: runId }
}
