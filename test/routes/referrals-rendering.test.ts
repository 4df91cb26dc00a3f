import t from 'tap'
import { sql } from 'kysely'
import { referralBody } from '../support/bodies.js'
import { recentlyVettedMentor } from '../support/mentors.js'
import { post } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { auth } from '../support/tokens.js'
import { CASEWORK_FIELDS, ReferralSchema } from '../../src/schemas/referrals.js'
import { caseworkOf } from '../../src/referrals/links.repository.js'
import { findReferral, referralRenderColumns } from '../../src/referrals/referrals.repository.js'
import { toReferral } from '../../src/referrals/referrals.service.js'
import fastJsonStringify from 'fast-json-stringify'

/**
 * Reads of referrals (one, and list pages) are rendered as JSON by PostgreSQL (REFERRAL_JSON in the
 * repository), not through the response schema. What they return must be exactly what `toReferral`
 * gives through the response schema's serializer (as every write answers): the same fields, no more,
 * the same values, in every state a referral can be in.
 */
const throughSchema = fastJsonStringify(ReferralSchema as any)

t.test("a referral read, alone or listed, is the response schema's rendering, field for field", async (t) => {
  const {
    app,
    tenant,
    tokens: { coordinator }
  } = await setUp(t)
  const programme = await tenant.programme({})
  const referrerSub = 'referrer-rendering'
  const referrer = tenant.token('referrer', { sub: referrerSub })
  const ids: Record<string, string> = {}

  const create = async (name: string, overrides: Record<string, any> = {}, token = referrer): Promise<string> => {
    const r = await post(app, token, '/v1/referrals', referralBody(programme, overrides), 201)
    ids[name] = r.id
    return r.id
  }
  const act = async (
    id: string,
    action: string,
    payload: Record<string, unknown> = {},
    token = coordinator
  ): Promise<void> => {
    await post(app, token, `/v1/referrals/${id}/${action}`, payload, 200)
  }

  // Text that JSON must escape, and text it must not mangle.
  await create('awkward text', {
    young_person: {
      given_name: 'Zoë "Zee"',
      family_name: "O'Brien\\Test",
      aspirations: 'Line one\nline two\ttabbed, 😀 and ünïcode, </script>',
      interests: ['art & design', 'café']
    },
    needs: { statement: 'Quotes " and backslashes \\ and a control \u0001 character.' },
    preferences: { mentor_gender: 'no_preference', notes: 'Prefers afternoons' },
    other_services: ['CAMHS (waiting list)', 'Youth club']
  })
  await create('least given', {
    young_person: { education_setting: undefined, school_year: undefined, interests: undefined, languages: undefined },
    referrer: { team: undefined },
    preferences: undefined
  })
  await act(await create('under review'), 'start-review')
  const asked = await create('information requested')
  await act(asked, 'start-review')
  await act(asked, 'request-information', { questions: 'Is the young person known to CAMHS?' })
  const answered = await create('information answered')
  await act(answered, 'start-review')
  await act(answered, 'request-information', { questions: 'Which school year?' })
  await act(answered, 'provide-information', { answers: 'Year 9, since September.' }, referrer)
  await act(await create('declined with a note'), 'decline', {
    reason_code: 'better_served_elsewhere',
    note: 'A youth worker is better placed'
  })
  await act(await create('declined without a note'), 'decline', { reason_code: 'ineligible' })
  await act(await create('withdrawn'), 'withdraw', { reason: 'The young person changed their mind' }, referrer)
  await act(await create('accepted as a funded place'), 'accept', { funded_place: true })

  const mentorId = await recentlyVettedMentor(app, coordinator, [programme], {
    profile: { given_name: 'Jordan', capacity: 3 }
  })
  const matchedId = await create('matched')
  await act(matchedId, 'accept')
  await post(
    app,
    coordinator,
    '/v1/matches',
    {
      referral_id: matchedId,
      mentor_id: mentorId,
      introduction: { scheduled_at: '2026-12-01T16:00:00Z', location: 'School library' }
    },
    201
  )
  const closedId = await create('closed')
  await act(closedId, 'accept')
  const match = await post(
    app,
    coordinator,
    '/v1/matches',
    {
      referral_id: closedId,
      mentor_id: mentorId,
      introduction: { scheduled_at: '2026-12-01T16:00:00Z', location: 'School library' }
    },
    201
  )
  await post(app, coordinator, `/v1/matches/${match.id as string}/close`, { reason_code: 'young_person_withdrew' }, 200)
  await create('by a coordinator', {}, coordinator)

  // Instants whose microseconds would round up if either side rounded instead of truncating.
  const edge = await create('microsecond edges')
  await sql`update referrals set updated_at = '2026-03-29 00:59:59.999999+00', closed_at = '2026-10-25 01:00:00.000999+00' where id = ${edge}`.execute(
    app.db
  )

  const get = async (id: string, token: string): Promise<any> => {
    const res = await app.inject({ method: 'GET', url: `/v1/referrals/${id}`, headers: auth(token) })
    if (res.statusCode !== 200) throw new Error(res.body)
    return res.json()
  }
  /** With `casework`, as a coordinator reads one referral (possible duplicates and links included). */
  const reference = async (id: string, casework = false): Promise<any> => {
    const row = await findReferral(app.db, { org: tenant.orgId }, id)
    if (row === undefined) throw new Error(`no referral ${id}`)
    return JSON.parse(throughSchema(toReferral(row, casework ? await caseworkOf(app.db, id) : undefined)))
  }

  t.test("GET: every state, against the schema's serializer", async (t) => {
    let flagged = 0
    for (const [name, id] of Object.entries(ids)) {
      const expected = await reference(id, true)
      if (expected.possible_duplicates.length > 0) flagged += 1
      const one = await get(id, coordinator)
      t.strictSame(one, expected, name)
      t.same(Object.keys(one).sort(), Object.keys(expected).sort(), `${name}: the same fields`)
    }
    t.ok(flagged > 1, 'the same young person referred again and again is flagged, and renders so')
    const edgeRow = await get(edge, coordinator)
    t.equal(edgeRow.updated_at, '2026-03-29T00:59:59.999Z', 'truncated to the millisecond, as a JavaScript Date is')
    t.equal(edgeRow.closed_at, '2026-10-25T01:00:00.000Z')
    const created = await post(app, referrer, '/v1/referrals', referralBody(programme), 201)
    t.strictSame(await get(created.id, referrer), created, 'what the write answered is what a read gives')
    await app.db.deleteFrom('referral_status_history').where('referral_id', '=', created.id).execute()
    await app.db.deleteFrom('notifications').where('subject_id', '=', created.id).execute()
    await app.db.deleteFrom('referrals').where('id', '=', created.id).execute()
  })

  t.test("a list page: every state, against the schema's serializer", async (t) => {
    const res = await app.inject({ method: 'GET', url: '/v1/referrals?limit=200', headers: auth(coordinator) })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^application\/json; charset=utf-8$/)
    const listed = new Map<string, any>((res.json().data as any[]).map((r) => [r.id, r]))
    t.equal(listed.size, Object.keys(ids).length, 'every referral listed')
    const statuses = new Set<string>()
    for (const [name, id] of Object.entries(ids)) {
      const expected = await reference(id)
      statuses.add(expected.status)
      t.strictSame(listed.get(id), expected, name)
      t.same(Object.keys(listed.get(id)).sort(), Object.keys(expected).sort(), `${name}: the same fields`)
    }
    t.same(
      [...statuses].sort(),
      ['accepted', 'closed', 'declined', 'information_requested', 'matched', 'submitted', 'under_review', 'withdrawn'],
      'the states covered'
    )
    const edgeRow = listed.get(edge)
    t.equal(edgeRow.updated_at, '2026-03-29T00:59:59.999Z', 'truncated to the millisecond, as a JavaScript Date is')
    t.equal(edgeRow.closed_at, '2026-10-25T01:00:00.000Z')
    t.equal(
      listed.get(ids['awkward text']).young_person.aspirations,
      'Line one\nline two\ttabbed, 😀 and ünïcode, </script>'
    )
  })

  t.test('as the referrer: its own, the same as its GET', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/v1/referrals?limit=200', headers: auth(referrer) })
    t.equal(res.statusCode, 200)
    const data = res.json().data as any[]
    t.equal(data.length, Object.keys(ids).length - 1, "not the coordinator's referral")
    t.notOk(data.some((r) => r.id === ids['by a coordinator']))
    for (const r of data) {
      t.strictSame(r, await reference(r.id))
      t.strictSame(await get(r.id, referrer), r)
    }
  })

  t.test('top-level fields are those of the response schema, in its order', async (t) => {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/referrals?limit=1&status=matched`,
      headers: auth(coordinator)
    })
    const item = res.json().data[0]
    const casework = new Set<string>(CASEWORK_FIELDS)
    t.same(
      Object.keys(item),
      Object.keys(ReferralSchema.properties).filter((f) => !casework.has(f)),
      'a list page leaves out the casework fields'
    )
    const one = await get(item.id, coordinator)
    t.same(Object.keys(one), Object.keys(ReferralSchema.properties), "a coordinator's read has them, last")
    t.same(item.match, { status: 'proposed', mentor_first_name: 'Jordan' })
  })

  t.test('pages stay joined: cursor, empty pages and filters', async (t) => {
    const first = await app.inject({ method: 'GET', url: '/v1/referrals?limit=5', headers: auth(coordinator) })
    const page = first.json()
    t.equal(page.data.length, 5)
    t.type(page.next_cursor, 'string')
    const rest = await app.inject({
      method: 'GET',
      url: `/v1/referrals?limit=200&cursor=${encodeURIComponent(page.next_cursor as string)}`,
      headers: auth(coordinator)
    })
    t.equal(rest.json().data.length, Object.keys(ids).length - 5)
    t.equal(rest.json().next_cursor, null)
    const none = await app.inject({
      method: 'GET',
      url: '/v1/referrals?status=closed&programme_id=00000000-0000-4000-8000-000000000000',
      headers: auth(coordinator)
    })
    t.equal(none.statusCode, 200)
    t.equal(none.body, '{"data":[],"next_cursor":null}')
  })

  t.test("the rendering stored on write is the schema's, and a row without one renders the same", async (t) => {
    const fn = await sql<{
      src: string
    }>`select prosrc as src from pg_proc where proname = 'referral_rendering'`.execute(app.db)
    const flat = (text: string): string => text.replace(/\s+/g, ' ')
    t.ok(
      flat(fn.rows[0].src).includes(`select ${referralRenderColumns('new').join(', ')} ) v`),
      "the trigger's select list is the response schema's, field by field (a schema change needs a migration)"
    )
    const stored = await sql<{ n: number }>`select count(*)::int as n from referrals where rendering is null`.execute(
      app.db
    )
    t.equal(stored.rows[0].n, 0, 'every referral written has its rendering')
    // Kept in the row as it is (migration 0144): a read neither fetches it from TOAST nor decompresses it.
    const storage = await sql<{ compressed: number; toasted: string }>`
      select count(*) filter (where pg_column_compression(rendering) is not null)::int as compressed,
        (select pg_relation_size(reltoastrelid) from pg_class where oid = 'referrals'::regclass)::text as toasted
      from referrals`.execute(app.db)
    t.strictSame(storage.rows[0], { compressed: 0, toasted: '0' }, 'renderings are stored inline, uncompressed')
    const id = ids['information answered']
    const before = await get(id, coordinator)
    const listedBefore = (
      await app.inject({ method: 'GET', url: '/v1/referrals?limit=200', headers: auth(coordinator) })
    ).json().data
    // As a row written before the rendering was stored: the read renders it, the same.
    await sql`update referrals set rendering = null where id = ${id}`.execute(app.db)
    t.strictSame(await get(id, coordinator), before, 'GET')
    const listedAfter = (
      await app.inject({ method: 'GET', url: '/v1/referrals?limit=200', headers: auth(coordinator) })
    ).json().data
    t.strictSame(listedAfter, listedBefore, 'a list page')
    // Any write of a column it shows renders it again, raw SQL included.
    await sql`update referrals set updated_at = '2026-04-01 10:00:00.123+00' where id = ${id}`.execute(app.db)
    t.equal((await get(id, coordinator)).updated_at, '2026-04-01T10:00:00.123Z')
    const row = await sql<{ rendering: string | null }>`select rendering from referrals where id = ${id}`.execute(
      app.db
    )
    t.match(row.rows[0].rendering, /"updated_at":"2026-04-01T10:00:00.123Z"/)
  })
})
