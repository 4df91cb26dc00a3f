import t from 'tap'
import { vettedMentor } from '../support/mentors.js'
import { setUp } from '../support/set-up.js'
import { todayLocal } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { addDays, addMonths, todayIn } from '../../src/lib/dates.js'
import { clearedMentorIds, mentorCompliance } from '../../src/mentors/compliance.repository.js'

t.test('mentor compliance', async (t) => {
  const {
    app,
    db,
    tenant,
    tokens: { coordinator }
  } = await setUp(t)
  const today = todayLocal()
  const strict = await tenant.programme({
    mentor_requirements: { safeguarding_training_valid_months: 12, references_required: 2 }
  })
  const relaxed = await tenant.programme({
    mentor_requirements: {
      safeguarding_training_valid_months: 24,
      references_required: 1,
      independent_of_care_system: true,
      initial_training_hours: 3
    }
  })

  const compliance = async (id: string, asOf?: string): Promise<any> => {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/mentors/${id}/compliance${asOf !== undefined ? `?as_of=${asOf}` : ''}`,
      headers: auth(coordinator)
    })
    t.equal(res.statusCode, 200)
    return res.json()
  }
  const check = (c: any, name: string, programmeId = strict): any =>
    c.checks.find((x: any) => x.name === name && x.programme_id === programmeId)

  t.test('expiry across the October clock change: the day before, the day itself, the day after', async (t) => {
    // Completed 2025-10-25: lapses on 2026-10-25, the day British Summer Time ends.
    const id = await vettedMentor(app, coordinator, [strict], { safeguarding: ['2025-10-25'], approve: false })
    const before = await compliance(id, '2026-10-24')
    t.same(
      [check(before, 'safeguarding_training').status, check(before, 'safeguarding_training').expires_on],
      ['expiring', '2026-10-25']
    )
    t.equal(before.programmes[0].clear, true, 'still clear the day before')
    const on = await compliance(id, '2026-10-25')
    t.equal(check(on, 'safeguarding_training').status, 'expired', 'expired on the day it lapses')
    t.equal(on.programmes[0].clear, false)
    t.equal(check(await compliance(id, '2026-10-26'), 'safeguarding_training').status, 'expired')
    t.equal(
      check(await compliance(id, '2026-09-25'), 'safeguarding_training').status,
      'expiring',
      '30 days before is expiring'
    )
    t.equal(check(await compliance(id, '2026-09-24'), 'safeguarding_training').status, 'ok', '31 days before is ok')
  })

  t.test('expiry across the March clock change', async (t) => {
    const id = await vettedMentor(app, coordinator, [strict], { safeguarding: ['2026-03-28'], approve: false })
    t.equal(check(await compliance(id, '2027-03-27'), 'safeguarding_training').status, 'expiring')
    t.equal(check(await compliance(id, '2027-03-28'), 'safeguarding_training').status, 'expired')
    t.equal(check(await compliance(id, '2027-03-29'), 'safeguarding_training').status, 'expired')
    // The local day in Europe/London around both changes: 23:30 UTC is already tomorrow in summer time.
    t.equal(todayIn('Europe/London', new Date('2026-10-24T23:30:00Z')), '2026-10-25')
    t.equal(todayIn('Europe/London', new Date('2026-10-25T23:30:00Z')), '2026-10-25')
    t.equal(todayIn('Europe/London', new Date('2027-03-27T23:30:00Z')), '2027-03-27')
    t.equal(todayIn('Europe/London', new Date('2027-03-28T23:30:00Z')), '2027-03-29')
  })

  t.test('a training completed on 29 February lapses on 28 February', async (t) => {
    const id = await vettedMentor(app, coordinator, [strict], {
      since: '2024-01-08',
      safeguarding: ['2024-02-29'],
      approve: false
    })
    const c = await compliance(id, '2025-02-27')
    t.same(
      [check(c, 'safeguarding_training').status, check(c, 'safeguarding_training').expires_on],
      ['expiring', '2025-02-28']
    )
    t.equal(check(await compliance(id, '2025-02-28'), 'safeguarding_training').status, 'expired')
    t.equal(
      check(await compliance(id, '2024-02-28'), 'safeguarding_training').status,
      'missing',
      'not yet completed on the day before'
    )
  })

  t.test('a lapse today clears the mentor today, with no job run', async (t) => {
    const lapsing = await vettedMentor(app, coordinator, [strict], {
      safeguarding: [addMonths(today, -12)],
      approve: false
    })
    const c = await compliance(lapsing)
    t.equal(c.as_of, today)
    t.equal(check(c, 'safeguarding_training').status, 'expired')
    const fresh = await vettedMentor(app, coordinator, [strict], { safeguarding: [addDays(addMonths(today, -12), 1)] })
    t.equal((await compliance(fresh)).cleared, true, 'lapses tomorrow: still cleared today')
    t.equal(check(await compliance(fresh, addDays(today, 1)), 'safeguarding_training').status, 'expired')
    const list = await app.inject({
      method: 'GET',
      url: `/v1/mentors?cleared=true&programme_id=${strict}`,
      headers: auth(coordinator)
    })
    const ids = list.json().data.map((m: any) => m.id)
    t.ok(ids.includes(fresh))
    t.notOk(ids.includes(lapsing))
  })

  t.test('a mentor in two programmes with different rules', async (t) => {
    const recent = addMonths(today, -18)
    // Approved while both programmes were satisfied, then judged on a day when only one still is.
    const id = await vettedMentor(app, coordinator, [strict, relaxed], { safeguarding: [recent], approve: false })
    const c = await compliance(id)
    t.equal(check(c, 'safeguarding_training', strict).status, 'expired')
    t.equal(check(c, 'safeguarding_training', relaxed).status, 'ok')
    t.ok(check(c, 'independent_of_care_system', relaxed))
    t.notOk(check(c, 'independent_of_care_system', strict), 'only the programme that asks for it')
    t.same(
      c.programmes.map((p: any) => p.clear),
      [false, true]
    )
    const refused = await app.inject({
      method: 'POST',
      url: `/v1/mentors/${id}/approve`,
      headers: auth(coordinator),
      payload: {}
    })
    t.equal(refused.statusCode, 422, 'approval needs every programme clear')
    t.same(
      refused.json().reasons.map((r: any) => r.code),
      ['safeguarding_training_expired']
    )
    // A fresh training clears both; a care-system job then fails only the relaxed programme.
    await app.inject({
      method: 'POST',
      url: `/v1/mentors/${id}/trainings`,
      headers: auth(coordinator),
      payload: { kind: 'safeguarding', completed_on: today, hours: 3, provider: 'NSPCC' }
    })
    t.equal(
      (await app.inject({ method: 'POST', url: `/v1/mentors/${id}/approve`, headers: auth(coordinator), payload: {} }))
        .statusCode,
      200
    )
    await app.inject({
      method: 'PATCH',
      url: `/v1/mentors/${id}`,
      headers: auth(coordinator),
      payload: { works_in_care_system: true }
    })
    const after = await compliance(id)
    t.same(
      after.programmes.map((p: any) => [p.clear, p.cleared]),
      [
        [true, true],
        [false, false]
      ]
    )
    t.equal(after.cleared, true, 'cleared for at least one programme')
    const inRelaxed = await app.inject({
      method: 'GET',
      url: `/v1/mentors?cleared=true&programme_id=${relaxed}`,
      headers: auth(coordinator)
    })
    t.notOk(inRelaxed.json().data.some((m: any) => m.id === id))
    const inStrict = await app.inject({
      method: 'GET',
      url: `/v1/mentors?cleared=true&programme_id=${strict}`,
      headers: auth(coordinator)
    })
    t.ok(inStrict.json().data.some((m: any) => m.id === id))
  })

  t.test('DBS: renewal cycle, Update Service status checks, disclosures and changes', async (t) => {
    const renewal = await vettedMentor(app, coordinator, [strict], {
      since: '2023-11-20',
      safeguarding: [today],
      approve: false
    })
    const r = check(await compliance(renewal, '2026-11-19'), 'dbs')
    t.same([r.status, r.expires_on], ['expiring', '2026-11-20'])
    t.equal(check(await compliance(renewal, '2026-11-20'), 'dbs').status, 'expired')

    const us = await vettedMentor(app, coordinator, [strict], {
      since: '2023-11-20',
      safeguarding: [today],
      approve: false,
      dbs: {
        update_service_subscribed: true,
        update_service_subscription_id: 'C0012345',
        status_checks: [{ checked_on: '2026-01-10', result: 'no_change' }]
      }
    })
    const u = check(await compliance(us, '2026-12-01'), 'dbs')
    t.same(
      [u.status, u.expires_on],
      ['ok', '2027-01-10'],
      'on the Update Service the renewal cycle gives way to the status check'
    )
    t.equal(check(await compliance(us, '2027-01-10'), 'dbs').status, 'expired', 'a status check is due every 12 months')
    const list = await app.inject({ method: 'GET', url: `/v1/mentors/${us}/dbs-checks`, headers: auth(coordinator) })
    const dbsId = list.json().data[0].id
    const changed = await app.inject({
      method: 'POST',
      url: `/v1/mentors/${us}/dbs-checks/${dbsId as string}/status-checks`,
      headers: auth(coordinator),
      payload: { checked_on: addDays(today, -1), result: 'changed' }
    })
    t.equal(changed.statusCode, 201)
    t.equal(
      check(await compliance(us), 'dbs').status,
      'missing',
      'a change reported by the Update Service needs a new check'
    )
    t.equal(check(await compliance(us, addDays(today, -2)), 'dbs').status, 'ok', 'before the change was seen')

    const disclosed = await vettedMentor(app, coordinator, [strict], {
      safeguarding: [today],
      approve: false,
      dbs: { outcome: 'information_disclosed' }
    })
    t.equal(check(await compliance(disclosed), 'dbs').status, 'missing')
    t.match(check(await compliance(disclosed), 'dbs').detail, /no coordinator risk decision/)
    const decided = await vettedMentor(app, coordinator, [strict], {
      safeguarding: [today],
      approve: false,
      dbs: {
        outcome: 'information_disclosed',
        risk_decision: {
          acceptable: true,
          decided_on: '2025-01-10',
          rationale: 'Minor, historic, unrelated to children'
        }
      }
    })
    t.equal(check(await compliance(decided), 'dbs').status, 'ok')
    const adult = await vettedMentor(app, coordinator, [strict], {
      safeguarding: [today],
      approve: false,
      dbs: { workforce: 'adult' }
    })
    t.equal(check(await compliance(adult), 'dbs').status, 'missing')
    const basic = await vettedMentor(app, coordinator, [strict], {
      safeguarding: [today],
      approve: false,
      dbs: { level: 'enhanced' }
    })
    t.equal(check(await compliance(basic), 'dbs').status, 'missing')
  })

  t.test('prior professional gap: at least the gap, at most the maximum', async (t) => {
    const pure = await tenant.programme({
      mentor_requirements: { prior_professional_gap_months: 3, max_prior_professional_gap_months: 6 }
    })
    const mentor = async (ended: string): Promise<string> =>
      await vettedMentor(app, coordinator, [pure], {
        safeguarding: [today],
        approve: false,
        profile: {
          professional_background: {
            role: 'Personal adviser',
            organisation: 'Leaving care team',
            involvement_ended_on: ended
          }
        }
      })
    const soon = await mentor(addMonths(today, -2))
    t.equal(check(await compliance(soon), 'prior_professional_gap', pure).status, 'missing')
    const ok = await mentor(addMonths(today, -4))
    t.same(
      [
        check(await compliance(ok), 'prior_professional_gap', pure).status,
        check(await compliance(ok), 'prior_professional_gap', pure).expires_on
      ],
      ['ok', addMonths(addMonths(today, -4), 6)]
    )
    const late = await mentor(addMonths(today, -7))
    t.equal(check(await compliance(late), 'prior_professional_gap', pure).status, 'expired')
    const none = await vettedMentor(app, coordinator, [pure], { safeguarding: [today], approve: false })
    t.equal(check(await compliance(none), 'prior_professional_gap', pure).status, 'missing')
    t.equal(
      check(await compliance(ok, addDays(addMonths(today, -4), 1)), 'prior_professional_gap', pure).status,
      'missing',
      'judged on the day: the gap had not passed then'
    )
  })

  t.test('clearedMentorIds agrees with mentorCompliance on a mixed set', async (t) => {
    const gap = await tenant.programme({
      mentor_requirements: { prior_professional_gap_months: 3, references_required: 0, initial_training_hours: 0 }
    })
    const programmes = [strict, relaxed, gap]
    const ids: string[] = []
    const variants: Array<Parameters<typeof vettedMentor>[3] & { programmes: string[] }> = [
      { programmes: [strict] },
      { programmes: [strict, relaxed], safeguarding: [addMonths(today, -13)] },
      { programmes: [relaxed], references: 1, initialHours: 3, profile: { works_in_care_system: true } },
      { programmes: [strict], references: 1 },
      { programmes: [strict, gap], initialHours: 5 },
      {
        programmes: [gap],
        references: 0,
        profile: {
          professional_background: {
            role: 'Teacher',
            organisation: 'School',
            involvement_ended_on: addMonths(today, -5)
          }
        }
      },
      {
        programmes: [gap, relaxed],
        profile: {
          professional_background: {
            role: 'Teacher',
            organisation: 'School',
            involvement_ended_on: addMonths(today, -1)
          }
        }
      },
      { programmes: [strict], dbs: { since: undefined, issued_on: '2023-12-20' } },
      {
        programmes: [strict],
        dbs: {
          update_service_subscribed: true,
          update_service_subscription_id: 'C1',
          status_checks: [{ checked_on: addMonths(today, -11), result: 'no_change' }]
        }
      },
      { programmes: [strict], dbs: { outcome: 'information_disclosed' } },
      { programmes: [strict, relaxed], dbs: null },
      { programmes: [relaxed], safeguarding: [addMonths(today, -23)] }
    ]
    for (const v of variants) {
      const { programmes: ps, ...opts } = v
      if (opts.dbs !== undefined && opts.dbs !== null) delete (opts.dbs as Record<string, unknown>).since
      ids.push(
        await vettedMentor(app, coordinator, ps, { safeguarding: [addDays(today, -20)], ...opts, approve: false })
      )
    }
    // Approve those that can be, and leave one clear mentor unapproved.
    for (const id of ids.slice(1))
      await app.inject({ method: 'POST', url: `/v1/mentors/${id}/approve`, headers: auth(coordinator), payload: {} })
    let agreements = 0
    let clearedSeen = 0
    for (const asOf of [
      today,
      addDays(today, 40),
      addMonths(today, 2),
      addMonths(today, 11),
      addMonths(today, 13),
      '2025-01-05',
      '2025-06-01'
    ]) {
      for (const p of programmes) {
        const fromSql = await clearedMentorIds(db, tenant.orgId, p, asOf)
        for (const id of ids) {
          const c = await mentorCompliance(db, tenant.orgId, id, asOf)
          const expected = c?.programmes.find((x) => x.programme_id === p)?.cleared ?? false
          t.equal(fromSql.has(id), expected, `mentor ${ids.indexOf(id)} programme ${programmes.indexOf(p)} on ${asOf}`)
          agreements += 1
          if (expected) clearedSeen += 1
        }
      }
    }
    t.ok(clearedSeen > 5 && clearedSeen < agreements - 5, `a mixed set: ${clearedSeen} cleared of ${agreements}`)
  })
})
