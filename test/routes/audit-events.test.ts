import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { sql } from 'kysely'
import { referralBody } from '../support/bodies.js'
import { setUp } from '../support/set-up.js'
import { auth } from '../support/tokens.js'
import { post, send } from '../support/requests.js'
import { createDatabase } from '../../src/db/database.js'
import { renderReferral } from '../../src/referrals/referrals.repository.js'
import { recordAccess } from '../../src/audit/audit.repository.js'

t.test('access events for referrals', async (t) => {
  const {
    app,
    db,
    config,
    tenant,
    other,
    tokens: { admin }
  } = await setUp(t, { other: true })
  const programme = await tenant.programme({})
  const coordinator = tenant.token('coordinator', { sub: 'coordinator-ann' })
  const referrer = tenant.token('referrer', { sub: 'referrer-own' })
  const ids: string[] = []
  for (let i = 0; i < 4; i++) ids.push((await post(app, referrer, '/v1/referrals', referralBody(programme))).id)

  const events = async (where: { referral_id?: string; actor_id?: string; request_id?: string } = {}) => {
    let q = db.selectFrom('audit_events').selectAll().where('organisation_id', '=', tenant.orgId)
    if (where.referral_id !== undefined) q = q.where('referral_id', '=', where.referral_id)
    if (where.actor_id !== undefined) q = q.where('actor_id', '=', where.actor_id)
    if (where.request_id !== undefined) q = q.where('request_id', '=', where.request_id)
    return await q.orderBy('at').execute()
  }

  /** Sends the GETs at once, each with its own caller, purpose and request id; all answer 200. */
  const together = async (t: Test, sent: Array<{ url: string; token: string; purpose: string; request: string }>) => {
    const answers = await Promise.all(
      sent.map(
        async (r) =>
          await app.inject({
            method: 'GET',
            url: r.url,
            headers: { ...auth(r.token), 'x-access-purpose': r.purpose, 'x-request-id': r.request }
          })
      )
    )
    t.same(
      answers.map((a) => a.statusCode),
      sent.map(() => 200)
    )
    const requests = sent.map((r) => r.request)
    const written = await db
      .selectFrom('audit_events')
      .select(['request_id', 'resource_id', 'referral_id', 'actor_id', 'purpose', 'action'])
      .where('request_id', 'in', requests)
      .execute()
    return { answers, written }
  }

  t.test('creating a referral writes a create event', async (t) => {
    const created = await events({ referral_id: ids[0], actor_id: 'referrer-own' })
    t.same(
      created.map((e) => [e.action, e.resource_type, e.resource_id, e.actor_role, e.outcome]),
      [['create', 'referral', ids[0], 'referrer', 'success']]
    )
  })

  t.test('a single GET writes one read event with the purpose and request id', async (t) => {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${ids[1]}`,
      headers: { ...auth(coordinator), 'x-access-purpose': 'Matching review', 'x-request-id': 'req-single-get-1' }
    })
    t.equal(res.statusCode, 200, res.body)
    const got = await events({ request_id: 'req-single-get-1' })
    t.equal(got.length, 1)
    t.match(got[0], {
      action: 'read',
      resource_type: 'referral',
      resource_id: ids[1],
      referral_id: ids[1],
      mentor_id: null,
      actor_id: 'coordinator-ann',
      actor_role: 'coordinator',
      purpose: 'Matching review',
      outcome: 'success'
    })
  })

  t.test('GETs answered together write one event each, with their own caller, purpose and request id', async (t) => {
    const callers = [
      coordinator,
      tenant.token('coordinator', { sub: 'coordinator-bea' }),
      tenant.token('admin', { sub: 'admin-cal' })
    ]
    const sent = Array.from({ length: 60 }, (_, i) => {
      const id = ids[i % ids.length]
      return {
        id,
        url: `/v1/referrals/${id}`,
        token: callers[i % callers.length],
        purpose: `Review ${i}`,
        request: `req-together-${i}`
      }
    })
    const { written } = await together(t, sent)
    t.equal(written.length, sent.length, 'one event a GET, none twice')
    const byRequest = new Map(written.map((e) => [e.request_id, e]))
    const actorOf = ['coordinator-ann', 'coordinator-bea', 'admin-cal']
    for (const [i, r] of sent.entries()) {
      t.match(byRequest.get(r.request), {
        resource_id: r.id,
        referral_id: r.id,
        purpose: r.purpose,
        action: 'read',
        actor_id: actorOf[i % 3]
      })
    }
  })

  t.test(
    'list pages answered together write one event a row shown, each with its own caller and request',
    async (t) => {
      const callers = [
        { token: coordinator, actor: 'coordinator-ann' },
        { token: tenant.token('coordinator', { sub: 'coordinator-bea' }), actor: 'coordinator-bea' },
        { token: tenant.token('admin', { sub: 'admin-cal' }), actor: 'admin-cal' }
      ]
      // Sizes with a limit fixed in the statement (10) or a parameter (1, 2, 3), and pages that stop short of the end.
      const sent = Array.from({ length: 30 }, (_, i) => {
        const limit = [1, 2, 3, 10][i % 4]
        const caller = callers[i % callers.length]
        return {
          ...caller,
          limit,
          url: `/v1/referrals?limit=${limit}`,
          purpose: 'Caseload review',
          request: `req-pages-together-${i}`
        }
      })
      const { answers, written } = await together(t, sent)
      for (const [i, r] of sent.entries()) {
        const shown: string[] = answers[i].json().data.map((x: { id: string }) => x.id)
        t.equal(shown.length, Math.min(r.limit, ids.length))
        const mine = written.filter((e) => e.request_id === r.request)
        t.same(
          mine.map((e) => e.referral_id).sort(),
          [...shown].sort(),
          `page ${i}: an event for each row shown, none for the row that tells another page follows`
        )
        for (const e of mine)
          t.match(e, { resource_id: e.referral_id, action: 'read', actor_id: r.actor, purpose: 'Caseload review' })
      }
      t.equal(
        written.length,
        sent.reduce((n, r) => n + Math.min(r.limit, ids.length), 0),
        'no event twice'
      )
    }
  )

  t.test('a GET whose event cannot be written answers no record', async (t) => {
    await sql`create function refuse_audit_event() returns trigger language plpgsql as $$
      begin raise exception 'audit events refused for this test'; end $$`.execute(db)
    await sql`create trigger refuse_audit_event before insert on audit_events for each row execute function refuse_audit_event()`.execute(
      db
    )
    t.teardown(async () => {
      await sql`drop trigger if exists refuse_audit_event on audit_events`.execute(db)
      await sql`drop function if exists refuse_audit_event()`.execute(db)
    })
    const res = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${ids[2]}`,
      headers: { ...auth(coordinator), 'x-request-id': 'req-refused-event' }
    })
    t.not(res.statusCode, 200)
    t.match(res.headers['content-type'], /application\/problem\+json/)
    const referral = await db
      .selectFrom('referrals')
      .select('young_person')
      .where('id', '=', ids[2])
      .executeTakeFirstOrThrow()
    t.notOk(res.body.includes(referral.young_person.family_name), 'nothing of the record is answered')
    const page = await app.inject({
      method: 'GET',
      url: '/v1/referrals?limit=50',
      headers: { ...auth(coordinator), 'x-request-id': 'req-refused-page' }
    })
    t.not(page.statusCode, 200)
    t.match(page.headers['content-type'], /application\/problem\+json/)
    t.notOk(page.body.includes(referral.young_person.family_name), 'nor anything of a list page')
  })

  t.test('a GET that finds nothing writes nothing here; the refusal is an event of the owner', async (t) => {
    const theirs = (await post(app, other.token('referrer'), '/v1/referrals', referralBody(await other.programme({}))))
      .id
    const res = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${theirs}`,
      headers: { ...auth(coordinator), 'x-request-id': 'req-foreign-get' }
    })
    t.equal(res.statusCode, 404)
    t.equal((await events({ request_id: 'req-foreign-get' })).length, 0)
    t.match(
      await db.selectFrom('audit_events').selectAll().where('request_id', '=', 'req-foreign-get').execute(),
      [{ organisation_id: other.orgId, resource_id: theirs, outcome: 'denied' }],
      'one denied event, in the organisation that holds the record'
    )
  })

  t.test(
    'a list page of N writes N events, one per row returned, not for the row that tells another page follows',
    async (t) => {
      const first = await app.inject({
        method: 'GET',
        url: '/v1/referrals?limit=3',
        headers: { ...auth(coordinator), 'x-request-id': 'req-list-page-1' }
      })
      t.equal(first.statusCode, 200)
      const page = first.json()
      t.equal(page.data.length, 3)
      t.ok(page.next_cursor)
      const got = await events({ request_id: 'req-list-page-1' })
      t.same(got.map((e) => e.resource_id).sort(), page.data.map((r: { id: string }) => r.id).sort())
      t.ok(got.every((e) => e.action === 'read' && e.referral_id === e.resource_id))
      const second = await app.inject({
        method: 'GET',
        url: `/v1/referrals?limit=3&cursor=${page.next_cursor as string}`,
        headers: { ...auth(coordinator), 'x-request-id': 'req-list-page-2' }
      })
      t.equal(second.json().data.length, 1)
      t.equal((await events({ request_id: 'req-list-page-2' })).length, 1)
    }
  )

  t.test('a page of a size fixed in its statement (10) writes its ten events, and not the next row', async (t) => {
    const more: string[] = []
    for (let i = 0; i < 7; i++) more.push((await post(app, referrer, '/v1/referrals', referralBody(programme))).id)
    t.teardown(async () => {
      await db.deleteFrom('referral_status_history').where('referral_id', 'in', more).execute()
      await db.deleteFrom('notifications').where('subject_id', 'in', more).execute()
      await db.deleteFrom('referrals').where('id', 'in', more).execute()
    })
    const first = await app.inject({
      method: 'GET',
      url: '/v1/referrals?limit=10',
      headers: { ...auth(coordinator), 'x-request-id': 'req-fixed-page-1' }
    })
    const page = first.json()
    t.equal(page.data.length, 10)
    t.ok(page.next_cursor, 'an eleventh follows')
    const got = await events({ request_id: 'req-fixed-page-1' })
    t.same(got.map((e) => e.resource_id).sort(), page.data.map((r: { id: string }) => r.id).sort())
    const second = await app.inject({
      method: 'GET',
      url: `/v1/referrals?limit=10&cursor=${page.next_cursor as string}`,
      headers: { ...auth(coordinator), 'x-request-id': 'req-fixed-page-2' }
    })
    t.equal(second.json().data.length, 1)
    t.equal(second.json().next_cursor, null)
    t.equal((await events({ request_id: 'req-fixed-page-2' })).length, 1)
    // Event ids are time-ordered (the UUID version 7 layout): the milliseconds of the write lead.
    for (const e of got) {
      t.match(e.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      const ms = Number.parseInt(e.id.replace(/-/g, '').slice(0, 12), 16)
      t.ok(Math.abs(ms - e.at.getTime()) < 5000, 'its milliseconds are those of its time')
    }
    t.equal(new Set(got.map((e) => e.id)).size, got.length, 'each its own')
  })

  t.test('a change writes its event; a refused change writes none', async (t) => {
    const ok = await app.inject({
      method: 'POST',
      url: `/v1/referrals/${ids[2]}/accept`,
      headers: { ...auth(coordinator), 'x-request-id': 'req-accept-ok' },
      payload: {}
    })
    t.equal(ok.statusCode, 200, ok.body)
    t.same(
      (await events({ request_id: 'req-accept-ok' })).map((e) => [e.action, e.resource_id]),
      [['status_change', ids[2]]]
    )
    // Accepted already: the transaction is rolled back, and the event written in it with it.
    const refused = await app.inject({
      method: 'POST',
      url: `/v1/referrals/${ids[2]}/start-review`,
      headers: { ...auth(coordinator), 'x-request-id': 'req-review-refused' },
      payload: {}
    })
    t.equal(refused.statusCode, 409)
    t.equal((await events({ request_id: 'req-review-refused' })).length, 0)
    const stale = await app.inject({
      method: 'PATCH',
      url: `/v1/referrals/${ids[3]}`,
      headers: { ...auth(coordinator), 'if-match': '"stale"', 'x-request-id': 'req-patch-stale' },
      payload: { needs: { areas: ['confidence'], level: 'low', statement: 'Better.' } }
    })
    t.equal(stale.statusCode, 412)
    t.equal((await events({ request_id: 'req-patch-stale' })).length, 0)
    const patched = await app.inject({
      method: 'PATCH',
      url: `/v1/referrals/${ids[3]}`,
      headers: { ...auth(coordinator), 'x-request-id': 'req-patch-ok' },
      payload: { needs: { areas: ['confidence'], level: 'low', statement: 'Better.' } }
    })
    t.equal(patched.statusCode, 200, patched.body)
    t.same(
      (await events({ request_id: 'req-patch-ok' })).map((e) => [e.action, e.resource_id]),
      [['update', ids[3]]]
    )
  })

  t.test('the history is a read of the referral', async (t) => {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${ids[2]}/history`,
      headers: { ...auth(coordinator), 'x-request-id': 'req-history' }
    })
    t.equal(res.statusCode, 200)
    t.same(
      (await events({ request_id: 'req-history' })).map((e) => [e.action, e.resource_id]),
      [['read', ids[2]]]
    )
  })

  t.test('X-Access-Purpose: up to 200 characters, else 400 naming the header', async (t) => {
    const fits = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${ids[0]}`,
      headers: { ...auth(coordinator), 'x-access-purpose': 'x'.repeat(200), 'x-request-id': 'req-purpose-200' }
    })
    t.equal(fits.statusCode, 200)
    t.equal((await events({ request_id: 'req-purpose-200' }))[0].purpose, 'x'.repeat(200))
    const long = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${ids[0]}`,
      headers: { ...auth(coordinator), 'x-access-purpose': 'x'.repeat(201), 'x-request-id': 'req-purpose-201' }
    })
    t.equal(long.statusCode, 400)
    t.match(long.headers['content-type'], /application\/problem\+json/)
    t.match(long.json(), { code: 'validation_failed', errors: [{ path: 'headers/x-access-purpose', message: /200/ }] })
    t.equal((await events({ request_id: 'req-purpose-201' })).length, 0)
    const list = await app.inject({
      method: 'GET',
      url: '/v1/referrals',
      headers: { ...auth(coordinator), 'x-access-purpose': 'y'.repeat(201) }
    })
    t.equal(list.statusCode, 400)
  })

  t.test('events cannot be updated, deleted or truncated in the database', async (t) => {
    const [one] = await events({ request_id: 'req-single-get-1' })
    await t.rejects(
      sql`update audit_events set purpose = 'changed' where id = ${one.id}`.execute(db),
      /audit events cannot be changed or deleted/
    )
    await t.rejects(
      sql`delete from audit_events where id = ${one.id}`.execute(db),
      /audit events cannot be changed or deleted/
    )
    await t.rejects(sql`truncate audit_events`.execute(db), /audit events cannot be changed or deleted/)
    t.equal((await events({ request_id: 'req-single-get-1' }))[0].purpose, 'Matching review')
  })

  t.test("a read's relaxed commit stays within its own statement; inside a transaction nothing changes", async (t) => {
    const one = createDatabase(config.DATABASE_URL, 1)
    t.teardown(async () => {
      await one.db.destroy()
    })
    const who = {
      org: tenant.orgId,
      actorId: 'unit',
      actorRole: 'coordinator',
      purpose: null,
      requestId: 'req-commit-mode'
    }
    const setting = async (ex: Parameters<typeof recordAccess>[0]) =>
      (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(ex)).rows[0].synchronous_commit
    t.ok(await renderReferral(one.db, who, { org: tenant.orgId }, ids[0]))
    await recordAccess(one.db, who, [
      { action: 'read', resourceType: 'referral', resourceId: ids[0], referralId: ids[0] }
    ])
    t.equal(await setting(one.db), 'on', 'the next statement on the connection commits as configured')
    await one.db.transaction().execute(async (trx) => {
      t.ok(await renderReferral(trx, who, { org: tenant.orgId }, ids[0]))
      await recordAccess(trx, who, [
        { action: 'update', resourceType: 'referral', resourceId: ids[0], referralId: ids[0] }
      ])
      t.equal(await setting(trx), 'on', 'a change with reads in it commits durably')
    })
    t.equal((await events({ request_id: 'req-commit-mode' })).length, 4)
  })

  t.test('GET /v1/audit-events: admin only, filtered and paginated', async (t) => {
    for (const token of [
      coordinator,
      referrer,
      tenant.token('integration'),
      tenant.token('mentor', { mentorId: '11111111-1111-4111-8111-111111111111' })
    ]) {
      const res = await app.inject({ method: 'GET', url: '/v1/audit-events', headers: auth(token) })
      t.equal(res.statusCode, 403)
    }
    const all = await send(app, admin, 'GET', '/v1/audit-events?limit=200', undefined, 200)
    const stored = await events()
    t.equal(all.data.length, stored.length)
    t.same(Object.keys(all.data[0]).sort(), [
      'action',
      'actor_id',
      'actor_role',
      'at',
      'id',
      'mentor_id',
      'outcome',
      'purpose',
      'referral_id',
      'request_id',
      'resource_id',
      'resource_type'
    ])
    // Newest first, and page after page gives every event once.
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: { data: Array<{ id: string }>; next_cursor: string | null } = await send(
        app,
        admin,
        'GET',
        `/v1/audit-events?limit=4${cursor !== null ? `&cursor=${cursor}` : ''}`,
        undefined,
        200
      )
      seen.push(...page.data.map((e) => e.id))
      cursor = page.next_cursor
    } while (cursor !== null)
    t.same([...seen].sort(), stored.map((e) => e.id).sort())
    t.equal(new Set(seen).size, seen.length)

    const byActor = await send(
      app,
      admin,
      'GET',
      '/v1/audit-events?actor_id=coordinator-ann&action=update',
      undefined,
      200
    )
    t.same(
      byActor.data.map((e: { resource_id: string }) => e.resource_id),
      [ids[3]]
    )
    const byReferral = await send(
      app,
      admin,
      'GET',
      `/v1/audit-events?referral_id=${ids[2]}&resource_type=referral`,
      undefined,
      200
    )
    t.ok(byReferral.data.length >= 3)
    t.ok(byReferral.data.every((e: { referral_id: string }) => e.referral_id === ids[2]))
    const byResource = await send(app, admin, 'GET', `/v1/audit-events?resource_id=${ids[1]}`, undefined, 200)
    t.ok(byResource.data.every((e: { resource_id: string }) => e.resource_id === ids[1]))
    const future = await send(app, admin, 'GET', '/v1/audit-events?from=2999-01-01T00:00:00Z', undefined, 200)
    t.same(future.data, [])
    const past = await send(app, admin, 'GET', '/v1/audit-events?to=2000-01-01T00:00:00Z', undefined, 200)
    t.same(past.data, [])
    const bad = await app.inject({ method: 'GET', url: '/v1/audit-events?action=peek', headers: auth(admin) })
    t.equal(bad.statusCode, 400)
    t.match(bad.json(), { errors: [{ path: /action/ }] })
    const backwards = await app.inject({
      method: 'GET',
      url: '/v1/audit-events?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
      headers: auth(admin)
    })
    t.equal(backwards.statusCode, 400)
    // Another organisation's admin sees none of these.
    const theirs = await send(app, other.token('admin'), 'GET', '/v1/audit-events?limit=200', undefined, 200)
    t.notOk(theirs.data.some((e: { id: string }) => seen.includes(e.id)))
  })

  t.test('resource_id finds every event of that record, whichever index holds it', async (t) => {
    // A record that is its referral or its mentor is indexed by those; any other by the resource index.
    const [r, m, s] = [randomUUID(), randomUUID(), randomUUID()]
    const base = {
      organisation_id: tenant.orgId,
      actor_id: 'resource-filter',
      actor_role: 'coordinator',
      action: 'read' as const,
      request_id: 'req-resource-filter'
    }
    await db
      .insertInto('audit_events')
      .values([
        { ...base, resource_type: 'referral', resource_id: r, referral_id: r },
        { ...base, resource_type: 'mentor', resource_id: m, mentor_id: m },
        { ...base, resource_type: 'session', resource_id: s, referral_id: r, mentor_id: m },
        { ...base, resource_type: 'match', resource_id: r, mentor_id: m },
        { ...base, resource_type: 'report', resource_id: m, referral_id: r, mentor_id: s }
      ])
      .execute()
    for (const [id, count] of [
      [r, 2],
      [m, 2],
      [s, 1]
    ] as const) {
      const got = await send(app, admin, 'GET', `/v1/audit-events?resource_id=${id}&limit=200`, undefined, 200)
      const ids = got.data.map((e: { id: string; resource_id: string }) => e.id)
      t.equal(ids.length, count)
      t.ok(got.data.every((e: { resource_id: string }) => e.resource_id === id))
      const stored = await db
        .selectFrom('audit_events')
        .select('id')
        .where('organisation_id', '=', tenant.orgId)
        .where('resource_id', '=', id)
        .execute()
      t.same([...ids].sort(), stored.map((e) => e.id).sort())
    }
  })

  t.test('GET /v1/referrals/{id}/access-log: coordinator and admin of the organisation', async (t) => {
    const log = await send(app, coordinator, 'GET', `/v1/referrals/${ids[2]}/access-log`, undefined, 200)
    t.ok(log.data.length >= 3)
    t.ok(log.data.every((e: { referral_id: string }) => e.referral_id === ids[2]))
    t.same(
      log.data.map((e: { at: string }) => e.at),
      [...log.data.map((e: { at: string }) => e.at)].sort().reverse()
    )
    t.equal(
      (await app.inject({ method: 'GET', url: `/v1/referrals/${ids[2]}/access-log`, headers: auth(admin) })).statusCode,
      200
    )
    t.equal(
      (await app.inject({ method: 'GET', url: `/v1/referrals/${ids[2]}/access-log`, headers: auth(referrer) }))
        .statusCode,
      403
    )
    t.equal(
      (
        await app.inject({
          method: 'GET',
          url: `/v1/referrals/${ids[2]}/access-log`,
          headers: auth(other.token('coordinator'))
        })
      ).statusCode,
      404
    )
    const reads = await send(app, coordinator, 'GET', `/v1/referrals/${ids[2]}/access-log?action=read`, undefined, 200)
    t.ok(reads.data.length > 0 && reads.data.every((e: { action: string }) => e.action === 'read'))
  })
})
