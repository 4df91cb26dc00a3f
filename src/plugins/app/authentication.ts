import fp from 'fastify-plugin'
import fastifyJwt, { type TokenOrHeader, type VerifyOptions } from '@fastify/jwt'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { JwksKeyStore } from '../../auth/jwks.js'
import { asStranger, ROLES, type Caller, type Role } from '../../auth/roles.js'
import { mentorStatus } from '../../mentors/mentors.repository.js'
import { AddressLimit } from '../../auth/address-limit.js'
import { AppError } from '../../errors/catalogue.js'

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller
  }
  interface FastifyInstance {
    authenticate: (request: FastifyRequest) => Promise<void>
  }
  interface FastifyContextConfig {
    /** The roles that may call this route. Stated on every /v1 route. */
    roles?: readonly Role[]
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const roleSet = new Set<string>(ROLES)
const INVALID_TOKEN = { 'www-authenticate': 'Bearer error="invalid_token"' }
const refuse = (detail: string): AppError => new AppError('unauthorized', detail, { headers: INVALID_TOKEN })

/** Turns verified claims into a Caller, refusing tokens whose claims do not describe one. */
export function callerFromClaims(claims: Record<string, unknown>): Caller {
  const roles = claims.roles
  if (!Array.isArray(roles) || roles.length === 0 || !roles.every((r) => typeof r === 'string')) {
    throw refuse('The token has no roles')
  }
  const unknown = roles.filter((r) => !roleSet.has(r))
  if (unknown.length > 0) throw refuse('The token names an unknown role')
  const sub = claims.sub
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200) throw refuse('The token has no subject')
  const org = claims.org
  const onlyPlatform = roles.every((r) => r === 'platform_admin')
  if (!onlyPlatform && (typeof org !== 'string' || !UUID.test(org))) {
    throw refuse('The token has no organisation')
  }
  const mentorId = claims.mentor_id
  if (roles.includes('mentor') && (typeof mentorId !== 'string' || !UUID.test(mentorId))) {
    throw refuse('A mentor token needs mentor_id')
  }
  return {
    sub,
    org: typeof org === 'string' && UUID.test(org) ? org.toLowerCase() : null,
    roles: roles as Role[],
    email: typeof claims.email === 'string' ? claims.email : null,
    name: typeof claims.name === 'string' ? claims.name : null,
    mentorId: typeof mentorId === 'string' ? mentorId.toLowerCase() : null
  }
}

const BEARER = /^Bearer\s+\S+$/i

/** How far ahead of this server's clock an issuer's may run. */
export const CLOCK_SKEW_SECONDS = 60

/**
 * Refuses a token issued in the future (beyond the clock skew) or made to live longer than
 * JWT_MAX_AGE: a leaked long-lived token is a standing key to children's records. Without `iat` the
 * lifetime counts from now.
 */
export function checkTokenTimes(
  claims: Record<string, unknown>,
  maxAgeSeconds: number,
  nowSeconds = Date.now() / 1000
): void {
  const { iat, exp } = claims
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat)))
    throw refuse("The token's iat is not a time")
  if (typeof iat === 'number' && iat > nowSeconds + CLOCK_SKEW_SECONDS)
    throw refuse('The token is issued in the future')
  const from = typeof iat === 'number' ? iat : nowSeconds
  if (typeof exp === 'number' && exp - from > maxAgeSeconds + CLOCK_SKEW_SECONDS) {
    throw refuse(`The token lives longer than the ${maxAgeSeconds} s this service accepts (JWT_MAX_AGE)`)
  }
}

/**
 * Callers of tokens that verified, keyed by the whole Authorization header, so a client's repeated
 * requests skip decoding, signature checking and claim parsing. An entry lives until the token
 * expires, and at most five minutes, so a key withdrawn from the JWKS stops working soon after.
 * Only successes are kept: a bad token is checked (and refused) every time.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, { caller: Caller; until: number }>()
  constructor(
    private readonly maxEntries = 10_000,
    private readonly ttlMs = 5 * 60_000
  ) {}

  get(header: string): Caller | undefined {
    const entry = this.entries.get(header)
    if (entry === undefined) return undefined
    if (entry.until <= Date.now()) {
      this.entries.delete(header)
      return undefined
    }
    return entry.caller
  }

  set(header: string, caller: Caller, exp: unknown): void {
    if (typeof exp !== 'number') return
    const until = Math.min(exp * 1000, Date.now() + this.ttlMs)
    if (this.entries.size >= this.maxEntries) {
      // Oldest first: a Map keeps insertion order.
      this.entries.delete(this.entries.keys().next().value as string)
    }
    Object.freeze(caller.roles)
    this.entries.set(header, { caller: Object.freeze(caller), until })
  }
}

export default fp(
  async function authenticationPlugin(app: FastifyInstance) {
    const { JWT_SECRET, JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE, JWT_MAX_AGE } = app.config
    const jwks = JWT_JWKS_URL !== undefined ? new JwksKeyStore(JWT_JWKS_URL) : null
    const algorithms: VerifyOptions['algorithms'] = [
      ...(JWT_SECRET !== undefined ? (['HS256'] as const) : []),
      ...(jwks !== null ? (['RS256', 'ES256'] as const) : [])
    ]

    // A static secret lets @fastify/jwt keep one verifier; keys from a JWKS are chosen by the token's
    // `alg` and `kid`, and an HS256 token is only ever checked against JWT_SECRET (no HS/RS confusion).
    const secret =
      jwks === null
        ? (JWT_SECRET as string)
        : async (_request: FastifyRequest, token: TokenOrHeader) => {
            // With `decode: { complete: true }` the token comes whole, its header beside its payload.
            const header = 'header' in token ? token.header : token
            if (header.alg === 'HS256') {
              if (JWT_SECRET === undefined) throw new Error('HS256 is not accepted')
              return JWT_SECRET
            }
            return await jwks.keyFor(header.kid)
          }

    await app.register(fastifyJwt, {
      secret,
      // The key callback needs the token's header (alg, kid), not only its payload.
      decode: { complete: true },
      verify: {
        algorithms,
        cache: true,
        // A configured issuer or audience must be present, not merely correct when present.
        requiredClaims: [
          'exp',
          'sub',
          ...(JWT_ISSUER !== undefined ? ['iss'] : []),
          ...(JWT_AUDIENCE !== undefined ? ['aud'] : [])
        ],
        ...(JWT_ISSUER !== undefined ? { allowedIss: JWT_ISSUER } : {}),
        ...(JWT_AUDIENCE !== undefined ? { allowedAud: JWT_AUDIENCE } : {})
      }
    })

    app.decorateRequest('caller', null, [])
    const verified = new VerifiedTokens()

    const unverified = new AddressLimit(app.config.RATE_LIMIT_MAX, app.config.RATE_LIMIT_WINDOW)

    /** The caller of a token not seen before: refused per address before its signature is checked. */
    async function verify(request: FastifyRequest, header: string | undefined): Promise<Caller> {
      const wait = unverified.blockedFor(request.ip)
      if (wait > 0) {
        throw new AppError('rate_limited', 'Too many requests without a valid token from this address; slow down', {
          headers: { 'retry-after': String(Math.ceil(wait / 1000)) }
        })
      }
      try {
        if (header === undefined || !BEARER.test(header)) {
          throw new AppError('unauthorized', 'A bearer token is required', {
            headers: { 'www-authenticate': 'Bearer' }
          })
        }
        let claims: Record<string, unknown>
        try {
          claims = await request.jwtVerify<Record<string, unknown>>()
        } catch {
          throw refuse('The token is not valid')
        }
        checkTokenTimes(claims, JWT_MAX_AGE)
        const caller = callerFromClaims(claims)
        verified.set(header, caller, claims.exp)
        return caller
      } catch (err) {
        unverified.fail(request.ip)
        throw err
      }
    }

    app.decorate('authenticate', async function authenticate(request: FastifyRequest) {
      const header = request.headers.authorization
      // A token already verified skips the address check: its caller is limited as itself.
      const caller = (header !== undefined ? verified.get(header) : undefined) ?? (await verify(request, header))
      request.caller = caller
      const allowed = request.routeOptions.config.roles
      if (allowed !== undefined && !caller.roles.some((r) => allowed.includes(r))) {
        throw new AppError('forbidden', 'Your role may not do this')
      }
      // Checked on every request, never cached: a suspension or withdrawal ends access at once.
      if (caller.mentorId !== null && caller.org !== null && caller.roles.includes('mentor')) {
        const status = await mentorStatus(app.db, caller.org, caller.mentorId)
        if (status === 'suspended' || status === 'withdrawn') request.caller = asStranger(caller)
      }
    })
  },
  { name: 'authentication', dependencies: ['config', 'db'] }
)
