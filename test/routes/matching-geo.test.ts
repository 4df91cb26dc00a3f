import t from 'tap'
import { createServer } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { auth, build, createTenant, referralBody, todayLocal } from '../support/set-up.js'
import { vettedMentor } from '../support/mentors.js'
import { createDatabase } from '../../src/db/database.js'
import { addDays } from '../../src/lib/dates.js'

const KNOWN: Record<string, [number, number]> = {
  'BR1 3AB': [51.4063, 0.0151], // Bromley
  'SE12 0AA': [51.4418, 0.0190], // Lee: another postcode area, 4 km away
  'BR8 7AA': [51.3984, 0.1731] // Swanley: same area, 11 km away
}

/** A postcodes.io-compatible server on a free port, counting what it is asked. */
async function fakePostcodesIo (t: { teardown: (fn: () => unknown) => void }): Promise<{ url: string, asked: string[] }> {
  const asked: string[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString() })
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/postcodes') { res.writeHead(404).end(); return }
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
  t.teardown(async () => { await new Promise<void>((resolve) => server.close(() => resolve())) })
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, asked }
}

async function setup (app: FastifyInstance): Promise<{ coordinator: string, url: string, lee: string, swanley: string }> {
  const tenant = await createTenant(app)
  const coordinator = tenant.token('coordinator')
  const programmeId = await tenant.programme({ matching: { max_distance_km: 8 } })
  const since = addDays(todayLocal(), -30)
  const lee = await vettedMentor(app, coordinator, [programmeId], { since, profile: { postcode: 'SE12 0AA' } })
  const swanley = await vettedMentor(app, coordinator, [programmeId], { since, profile: { postcode: 'BR8 7AA' } })
  const r = await app.inject({ method: 'POST', url: '/v1/referrals', headers: auth(coordinator), payload: referralBody(programmeId) })
  await app.inject({ method: 'POST', url: `/v1/referrals/${r.json().id as string}/accept`, headers: auth(coordinator), payload: {} })
  return { coordinator, url: `/v1/referrals/${r.json().id as string}/mentor-suggestions`, lee, swanley }
}

t.test('with a geocoder: distances from coordinates, cached in the database', async (t) => {
  const geo = await fakePostcodesIo(t)
  const { app, config } = await build(t, { GEOCODER_URL: geo.url })
  const { coordinator, url, lee, swanley } = await setup(app)
  const res = await app.inject({ method: 'GET', url, headers: auth(coordinator) })
  t.equal(res.statusCode, 200, res.body)
  const data = res.json().data
  t.same(data.map((d: any) => d.mentor_id), [lee], 'the nearer mentor across an area boundary is in; the one 11 km away is out')
  t.equal(data[0].distance_basis, 'coordinates')
  t.ok(data[0].distance_km > 3 && data[0].distance_km < 5, String(data[0].distance_km))
  const why = await app.inject({ method: 'GET', url: `${url}?mentor_id=${swanley}`, headers: auth(coordinator) })
  t.match(why.json().data[0].excluded_by[0].message, /About 1[01]\.?\d* km away; the programme's limit is 8/)
  t.same([...geo.asked].sort(), ['BR1 3AB', 'BR8 7AA', 'SE12 0AA'])
  await app.inject({ method: 'GET', url, headers: auth(coordinator) })
  t.equal(geo.asked.length, 3, 'answers are cached: nothing asked twice')
  const { db } = createDatabase(config.DATABASE_URL, 1)
  t.teardown(async () => { await db.destroy() })
  const cached = await db.selectFrom('postcode_locations').select(['postcode', 'found']).orderBy('postcode').execute()
  t.same(cached, [{ postcode: 'BR1 3AB', found: true }, { postcode: 'BR8 7AA', found: true }, { postcode: 'SE12 0AA', found: true }])
})

t.test('without coordinates: estimated from the postcode; a geocoder down is no error', async (t) => {
  const { app } = await build(t, { GEOCODER_URL: 'http://127.0.0.1:9' })
  const { coordinator, url, swanley, lee } = await setup(app)
  const res = await app.inject({ method: 'GET', url, headers: auth(coordinator) })
  t.equal(res.statusCode, 200, res.body)
  t.same(res.json().data, [], 'both estimated beyond 8 km')
  const why = await app.inject({ method: 'GET', url: `${url}?mentor_id=${swanley}`, headers: auth(coordinator) })
  t.equal(why.json().data[0].distance_basis, 'area')
  t.match(why.json().data[0].excluded_by[0].message, /Same postcode area, roughly 15 km/)
  const other = await app.inject({ method: 'GET', url: `${url}?mentor_id=${lee}`, headers: auth(coordinator) })
  t.equal(other.json().data[0].distance_basis, 'unknown')
})
