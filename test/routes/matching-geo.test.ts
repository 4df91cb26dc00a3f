import t from 'tap'
import { createServer } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { referralBody } from '../support/bodies.js'
import { recentlyVettedMentor } from '../support/mentors.js'
import { setUp } from '../support/set-up.js'
import type { Tenant } from '../support/tenants.js'
import { auth } from '../support/tokens.js'

const KNOWN: Record<string, [number, number]> = {
  'BR1 3AB': [51.4063, 0.0151], // Bromley
  'SE12 0AA': [51.4418, 0.019], // Lee: another postcode area, 4 km away
  'BR8 7AA': [51.3984, 0.1731] // Swanley: same area, 11 km away
}

/** A postcodes.io-compatible server on a free port, counting what it is asked. */
async function fakePostcodesIo(t: {
  teardown: (fn: () => unknown) => void
}): Promise<{ url: string; asked: string[] }> {
  const asked: string[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => {
      body += c.toString()
    })
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/postcodes') {
        res.writeHead(404).end()
        return
      }
      const { postcodes } = JSON.parse(body) as { postcodes: string[] }
      asked.push(...postcodes)
      const result = postcodes.map((q) => {
        const at = KNOWN[q]
        return { query: q, result: at === undefined ? null : { postcode: q, latitude: at[0], longitude: at[1] } }
      })
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 200, result }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, asked }
}

/** A referral in Bromley waiting for a match, and two mentors: one in Lee (4 km), one in Swanley (11 km). */
async function nearAndFar(
  app: FastifyInstance,
  tenant: Tenant,
  coordinator: string
): Promise<{ url: string; lee: string; swanley: string }> {
  const programmeId = await tenant.programme({ matching: { max_distance_km: 8 } })
  const lee = await recentlyVettedMentor(app, coordinator, [programmeId], { profile: { postcode: 'SE12 0AA' } })
  const swanley = await recentlyVettedMentor(app, coordinator, [programmeId], { profile: { postcode: 'BR8 7AA' } })
  const r = await app.inject({
    method: 'POST',
    url: '/v1/referrals',
    headers: auth(coordinator),
    payload: referralBody(programmeId)
  })
  await app.inject({
    method: 'POST',
    url: `/v1/referrals/${r.json().id as string}/accept`,
    headers: auth(coordinator),
    payload: {}
  })
  return { url: `/v1/referrals/${r.json().id as string}/mentor-suggestions`, lee, swanley }
}

t.test('with a geocoder: distances from coordinates, cached in the database', async (t) => {
  const geo = await fakePostcodesIo(t)
  const {
    app,
    db,
    tenant,
    tokens: { coordinator }
  } = await setUp(t, { env: { GEOCODER_URL: geo.url } })
  const { url, lee, swanley } = await nearAndFar(app, tenant, coordinator)
  const res = await app.inject({ method: 'GET', url, headers: auth(coordinator) })
  t.equal(res.statusCode, 200, res.body)
  const data = res.json().data
  t.same(
    data.map((d: any) => d.mentor_id),
    [lee],
    'the nearer mentor across an area boundary is in; the one 11 km away is out'
  )
  t.equal(data[0].distance_basis, 'coordinates')
  t.ok(data[0].distance_km > 3 && data[0].distance_km < 5, String(data[0].distance_km))
  const why = await app.inject({ method: 'GET', url: `${url}?mentor_id=${swanley}`, headers: auth(coordinator) })
  t.match(why.json().data[0].excluded_by[0].message, /About 1[01]\.?\d* km away; the programme's limit is 8/)
  t.same([...geo.asked].sort(), ['BR1 3AB', 'BR8 7AA', 'SE12 0AA'])
  await app.inject({ method: 'GET', url, headers: auth(coordinator) })
  t.equal(geo.asked.length, 3, 'answers are cached: nothing asked twice')
  const cached = await db.selectFrom('postcode_locations').select(['postcode', 'found']).orderBy('postcode').execute()
  t.same(cached, [
    { postcode: 'BR1 3AB', found: true },
    { postcode: 'BR8 7AA', found: true },
    { postcode: 'SE12 0AA', found: true }
  ])
})

t.test('without coordinates: estimated from the postcode; a geocoder down is no error', async (t) => {
  const {
    app,
    tenant,
    tokens: { coordinator }
  } = await setUp(t, { env: { GEOCODER_URL: 'http://127.0.0.1:9' } })
  const { url, swanley, lee } = await nearAndFar(app, tenant, coordinator)
  const res = await app.inject({ method: 'GET', url, headers: auth(coordinator) })
  t.equal(res.statusCode, 200, res.body)
  t.same(res.json().data, [], 'both estimated beyond 8 km')
  const why = await app.inject({ method: 'GET', url: `${url}?mentor_id=${swanley}`, headers: auth(coordinator) })
  t.equal(why.json().data[0].distance_basis, 'area')
  t.match(why.json().data[0].excluded_by[0].message, /Same postcode area, roughly 15 km/)
  const other = await app.inject({ method: 'GET', url: `${url}?mentor_id=${lee}`, headers: auth(coordinator) })
  t.equal(other.json().data[0].distance_basis, 'unknown')
})
