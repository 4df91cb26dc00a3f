import { createHmac, generateKeyPairSync, randomUUID, createPublicKey, type KeyObject } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import t from 'tap'
import { SignJWT, exportJWK, type JWK } from 'jose'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { build, createTestDatabase, testConfig } from '../support/set-up.js'
import { auth, TEST_SECRET, tokenFor } from '../support/tokens.js'

type TapTest = Parameters<Parameters<typeof t.test>[0]>[0]

const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')

/** An HS256 token with exactly the header and claims given (no defaults added). */
function hs256(
  secret: string | Buffer,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }
): string {
  const head = `${b64(header)}.${b64(claims)}`
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`
}

const now = (): number => Math.floor(Date.now() / 1000)
const ORG = randomUUID()
const claimsFor = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  sub: `user-${randomUUID().slice(0, 8)}`,
  org: ORG,
  roles: ['coordinator'],
  iat: now(),
  exp: now() + 600,
  ...extra
})

async function expect401(
  t: TapTest,
  app: FastifyInstance,
  authorization: string | undefined,
  what: string
): Promise<void> {
  const res = await app.inject({
    method: 'GET',
    url: '/v1/programmes',
    headers: authorization === undefined ? {} : { authorization }
  })
  t.equal(res.statusCode, 401, `${what}: ${res.body}`)
  t.match(res.headers['content-type'], /^application\/problem\+json/, `${what}: problem+json`)
  t.match(res.headers['www-authenticate'], /^Bearer/, `${what}: www-authenticate`)
  const body = res.json()
  t.equal(body.status, 401, what)
  t.equal(body.code, 'unauthorized', what)
  t.ok(
    typeof body.type === 'string' && typeof body.title === 'string' && typeof body.detail === 'string',
    `${what}: problem fields`
  )
}

async function expect200(t: TapTest, app: FastifyInstance, authorization: string, what: string): Promise<void> {
  const res = await app.inject({ method: 'GET', url: '/v1/programmes', headers: { authorization } })
  t.equal(res.statusCode, 200, `${what}: ${res.body}`)
}

t.test('HS256 tokens', async (t) => {
  const { app } = await build(t)

  t.test('a good token is accepted', async (t) => {
    await expect200(t, app, `Bearer ${hs256(TEST_SECRET, claimsFor())}`, 'good token')
    await expect200(t, app, `Bearer ${tokenFor('coordinator', { org: ORG })}`, 'helper token')
  })

  t.test('refused tokens', async (t) => {
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claimsFor())}.`
    const cases: Array<[string, string | undefined]> = [
      ['no header', undefined],
      ['empty bearer', 'Bearer '],
      ['not bearer', `Basic ${Buffer.from('a:b').toString('base64')}`],
      ['not a JWT', 'Bearer not-a-token'],
      ['two parts', 'Bearer abc.def'],
      ['token and junk', `Bearer ${hs256(TEST_SECRET, claimsFor())} extra`],
      ['garbage segments', 'Bearer !!!.@@@.###'],
      ['alg none', `Bearer ${none}`],
      [
        'alg none with a signature',
        `Bearer ${none}${createHmac('sha256', TEST_SECRET).update('x').digest('base64url')}`
      ],
      ['alg none in mixed case', `Bearer ${b64({ alg: 'None' })}.${b64(claimsFor())}.`],
      ['wrong key', `Bearer ${hs256('another-secret-0123456789-0123456789-xyz', claimsFor())}`],
      [
        'HS512 with the right key',
        `Bearer ${(() => {
          const h = `${b64({ alg: 'HS512' })}.${b64(claimsFor())}`
          return `${h}.${createHmac('sha512', TEST_SECRET).update(h).digest('base64url')}`
        })()}`
      ],
      [
        'tampered payload',
        `Bearer ${(() => {
          const [h, , s] = hs256(TEST_SECRET, claimsFor()).split('.')
          return `${h}.${b64(claimsFor({ roles: ['admin'] }))}.${s}`
        })()}`
      ],
      ['expired', `Bearer ${hs256(TEST_SECRET, claimsFor({ iat: now() - 7200, exp: now() - 3600 }))}`],
      ['not yet valid', `Bearer ${hs256(TEST_SECRET, claimsFor({ nbf: now() + 3600 }))}`],
      ['no exp', `Bearer ${hs256(TEST_SECRET, (({ exp: _exp, ...c }) => c)(claimsFor()))}`],
      ['no sub', `Bearer ${hs256(TEST_SECRET, (({ sub: _sub, ...c }) => c)(claimsFor()))}`],
      ['no org for a coordinator', `Bearer ${hs256(TEST_SECRET, (({ org: _org, ...c }) => c)(claimsFor()))}`],
      ['org not a uuid', `Bearer ${hs256(TEST_SECRET, claimsFor({ org: 'acme' }))}`],
      ['unknown role', `Bearer ${hs256(TEST_SECRET, claimsFor({ roles: ['superuser'] }))}`],
      ['a known and an unknown role', `Bearer ${hs256(TEST_SECRET, claimsFor({ roles: ['coordinator', 'root'] }))}`],
      ['empty roles', `Bearer ${hs256(TEST_SECRET, claimsFor({ roles: [] }))}`],
      ['roles not an array', `Bearer ${hs256(TEST_SECRET, claimsFor({ roles: 'coordinator' }))}`],
      ['no roles', `Bearer ${hs256(TEST_SECRET, (({ roles: _roles, ...c }) => c)(claimsFor()))}`],
      ['mentor without mentor_id', `Bearer ${hs256(TEST_SECRET, claimsFor({ roles: ['mentor'] }))}`],
      [
        'mentor with a bad mentor_id',
        `Bearer ${hs256(TEST_SECRET, claimsFor({ roles: ['mentor'], mentor_id: 'me' }))}`
      ],
      [
        'payload not JSON',
        `Bearer ${(() => {
          const h = `${b64({ alg: 'HS256' })}.${b64('not json')}`
          return `${h}.${createHmac('sha256', TEST_SECRET).update(h).digest('base64url')}`
        })()}`
      ]
    ]
    for (const [what, header] of cases) await expect401(t, app, header, what)
  })

  t.test('a platform admin needs no org, other roles do', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/organisations',
      headers: auth(hs256(TEST_SECRET, claimsFor({ org: undefined, roles: ['platform_admin'] }))),
      payload: { name: 'Tokens Org', code: 'TOK' }
    })
    t.equal(res.statusCode, 201, res.body)
    await expect401(
      t,
      app,
      `Bearer ${hs256(TEST_SECRET, (({ org: _org, ...c }) => c)(claimsFor({ roles: ['platform_admin', 'coordinator'] })))}`,
      'platform admin and coordinator without org'
    )
  })
})

t.test('HS256 with issuer and audience configured', async (t) => {
  const { app } = await build(t, { JWT_ISSUER: 'https://idp.example/', JWT_AUDIENCE: 'waymark-api' })
  await expect200(
    t,
    app,
    `Bearer ${hs256(TEST_SECRET, claimsFor({ iss: 'https://idp.example/', aud: 'waymark-api' }))}`,
    'right issuer and audience'
  )
  await expect401(
    t,
    app,
    `Bearer ${hs256(TEST_SECRET, claimsFor({ iss: 'https://evil.example/', aud: 'waymark-api' }))}`,
    'wrong issuer'
  )
  await expect401(
    t,
    app,
    `Bearer ${hs256(TEST_SECRET, claimsFor({ iss: 'https://idp.example/', aud: 'another-api' }))}`,
    'wrong audience'
  )
  await expect401(t, app, `Bearer ${hs256(TEST_SECRET, claimsFor({ aud: 'waymark-api' }))}`, 'no issuer')
  await expect401(t, app, `Bearer ${hs256(TEST_SECRET, claimsFor({ iss: 'https://idp.example/' }))}`, 'no audience')
})

interface SigningKey {
  kid: string
  alg: 'RS256' | 'ES256'
  privateKey: KeyObject
  jwk: JWK
}

async function signingKey(kid: string, alg: 'RS256' | 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { kid, alg, privateKey, jwk }
}

/** A JWKS endpoint on a free port; `keys` can change while it runs. */
async function startJwks(t: TapTest, keys: JWK[]): Promise<{ url: string; fetches: () => number }> {
  let fetches = 0
  const server: Server = createServer((req, res) => {
    fetches += 1
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/.well-known/jwks.json`,
    fetches: () => fetches
  }
}

const ISSUER = 'https://login.council.example/'
const AUDIENCE = 'waymark'

async function sign(
  key: SigningKey,
  claims: Record<string, unknown> = {},
  opts: { iss?: string; aud?: string; kid?: string } = {}
): Promise<string> {
  return await new SignJWT(claimsFor(claims))
    .setProtectedHeader({ alg: key.alg, kid: opts.kid ?? key.kid, typ: 'JWT' })
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .sign(key.privateKey)
}

t.test('JWKS: RS256 and ES256 from an identity provider', async (t) => {
  const rsa = await signingKey('rsa-1', 'RS256')
  const ec = await signingKey('ec-1', 'ES256')
  const stranger = await signingKey('rsa-1', 'RS256')
  const keys: JWK[] = [rsa.jwk, ec.jwk]
  const jwks = await startJwks(t, keys)
  const databaseUrl = await createTestDatabase(t)
  const rsaPem = createPublicKey({ key: rsa.jwk as any, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString()

  for (const withSecret of [true, false]) {
    t.test(withSecret ? 'with JWT_SECRET as well' : 'JWKS only', async (t) => {
      const config = testConfig(databaseUrl, {
        JWT_JWKS_URL: jwks.url,
        JWT_ISSUER: ISSUER,
        JWT_AUDIENCE: AUDIENCE,
        JWT_SECRET: withSecret ? TEST_SECRET : ''
      })
      t.equal(config.JWT_SECRET === undefined, !withSecret)
      const app = await buildApp(config)
      await app.ready()
      t.teardown(async () => {
        await app.close()
      })

      await expect200(t, app, `Bearer ${await sign(rsa)}`, 'RS256')
      await expect200(t, app, `Bearer ${await sign(ec)}`, 'ES256')
      await expect401(t, app, `Bearer ${await sign(stranger)}`, 'signed by an unknown key under a known kid')
      await expect401(t, app, `Bearer ${await sign(stranger, {}, { kid: 'who-knows' })}`, 'signed by an unknown key')
      await expect401(t, app, `Bearer ${await sign(rsa, {}, { kid: 'ec-1' })}`, 'RS256 token naming the EC key')
      await expect401(t, app, `Bearer ${await sign(rsa, {}, { iss: 'https://other.example/' })}`, 'wrong issuer')
      await expect401(t, app, `Bearer ${await sign(rsa, {}, { aud: 'someone-else' })}`, 'wrong audience')
      await expect401(t, app, `Bearer ${await sign(rsa, { exp: now() - 10 })}`, 'expired')
      await expect401(t, app, `Bearer ${await sign(ec, { org: undefined })}`, 'no org')
      await expect401(t, app, `Bearer ${await sign(ec, { roles: ['owner'] })}`, 'unknown role')
      await expect401(
        t,
        app,
        `Bearer ${b64({ alg: 'none', kid: 'rsa-1' })}.${b64({ ...claimsFor(), iss: ISSUER, aud: AUDIENCE })}.`,
        'alg none'
      )

      // HS/RS confusion: an HS256 token whose HMAC key is the public key anyone can fetch.
      const confused = { ...claimsFor(), iss: ISSUER, aud: AUDIENCE }
      await expect401(
        t,
        app,
        `Bearer ${hs256(rsaPem, confused, { alg: 'HS256', kid: 'rsa-1' })}`,
        'HS256 signed with the RSA public key PEM'
      )
      await expect401(
        t,
        app,
        `Bearer ${hs256(rsaPem, confused, { alg: 'HS256' })}`,
        'HS256 signed with the RSA public key PEM, no kid'
      )
      await expect401(
        t,
        app,
        `Bearer ${hs256(JSON.stringify(rsa.jwk), confused, { alg: 'HS256', kid: 'rsa-1' })}`,
        'HS256 signed with the JWK text'
      )

      if (withSecret)
        await expect200(t, app, `Bearer ${hs256(TEST_SECRET, confused)}`, 'HS256 with JWT_SECRET still works')
      else await expect401(t, app, `Bearer ${hs256(TEST_SECRET, confused)}`, 'HS256 refused without JWT_SECRET')
    })
  }

  t.test('a key added to the JWKS is picked up without a restart', async (t) => {
    const app = await buildApp(
      testConfig(databaseUrl, { JWT_JWKS_URL: jwks.url, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_SECRET: '' })
    )
    await app.ready()
    t.teardown(async () => {
      await app.close()
    })
    await expect200(t, app, `Bearer ${await sign(rsa)}`, 'current key')
    const next = await signingKey('rsa-2', 'RS256')
    const early = `Bearer ${await sign(next)}`
    await expect401(t, app, early, 'a key the provider has not published yet')
    keys.push(next.jwk)
    // Unknown kids refresh the key set at most once per cooldown, so a flood of made-up kids cannot
    // hammer the identity provider; after it, the new key is used.
    const before = jwks.fetches()
    for (let i = 0; i < 5; i++)
      await app.inject({
        method: 'GET',
        url: '/v1/programmes',
        headers: { authorization: `Bearer ${await sign(stranger, {}, { kid: `made-up-${i}` })}` }
      })
    t.ok(jwks.fetches() - before <= 1, `made-up kids fetched the JWKS ${jwks.fetches() - before} times`)
    const until = Date.now() + 15_000
    let status = 0
    while (Date.now() < until) {
      status = (
        await app.inject({
          method: 'GET',
          url: '/v1/programmes',
          headers: { authorization: `Bearer ${await sign(next)}` }
        })
      ).statusCode
      if (status === 200) break
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    t.equal(status, 200, 'the rotated key is accepted')
    await expect200(t, app, `Bearer ${await sign(rsa)}`, 'the old key still works while published')
  })
})

t.test('token times: no iat in the future, no lifetime beyond JWT_MAX_AGE', async (t) => {
  const { app } = await build(t)
  const hour = 3600
  await expect200(
    t,
    app,
    `Bearer ${hs256(TEST_SECRET, claimsFor({ iat: now() + 30, exp: now() + hour }))}`,
    'iat within the clock skew'
  )
  await expect401(
    t,
    app,
    `Bearer ${hs256(TEST_SECRET, claimsFor({ iat: now() + 600, exp: now() + hour }))}`,
    'iat ten minutes ahead'
  )
  await expect401(t, app, `Bearer ${hs256(TEST_SECRET, claimsFor({ iat: 'yesterday' }))}`, 'iat not a number')
  await expect200(
    t,
    app,
    `Bearer ${hs256(TEST_SECRET, claimsFor({ iat: now(), exp: now() + 12 * hour }))}`,
    'twelve hours, the default maximum'
  )
  await expect401(
    t,
    app,
    `Bearer ${hs256(TEST_SECRET, claimsFor({ iat: now(), exp: now() + 13 * hour }))}`,
    'thirteen hours'
  )
  await expect401(
    t,
    app,
    `Bearer ${hs256(TEST_SECRET, claimsFor({ iat: now() - 11 * hour, exp: now() + 2 * hour }))}`,
    'thirteen hours issued in the past'
  )
  await expect401(
    t,
    app,
    `Bearer ${hs256(TEST_SECRET, (({ iat: _iat, ...c }) => c)(claimsFor({ exp: now() + 365 * 24 * hour })))}`,
    'no iat and a year to live'
  )
  await expect200(
    t,
    app,
    `Bearer ${hs256(TEST_SECRET, (({ iat: _iat, ...c }) => c)(claimsFor({ exp: now() + hour })))}`,
    'no iat and an hour to live'
  )
  const res = await app.inject({
    method: 'GET',
    url: '/v1/programmes',
    headers: auth(hs256(TEST_SECRET, claimsFor({ iat: now(), exp: now() + 13 * hour })))
  })
  t.match(res.json().detail, /JWT_MAX_AGE/)
})

t.test('JWT_MAX_AGE sets the longest lifetime', async (t) => {
  const { app } = await build(t, { JWT_MAX_AGE: '30m' })
  await expect200(
    t,
    app,
    `Bearer ${hs256(TEST_SECRET, claimsFor({ iat: now(), exp: now() + 1800 }))}`,
    'thirty minutes'
  )
  await expect401(t, app, `Bearer ${hs256(TEST_SECRET, claimsFor({ iat: now(), exp: now() + 3600 }))}`, 'an hour')
})
