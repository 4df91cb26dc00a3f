import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { runJob } from '../support/jobs.js'
import { vettedMentor } from '../support/mentors.js'
import { post } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { addCoordinator } from '../support/tenants.js'
import { todayLocal } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { addDays, addMonths } from '../../src/lib/dates.js'

t.test('alerts about matches', async (t) => {
  const {
    app,
    db,
    tenant,
    tokens: { admin, coordinator }
  } = await setUp(t, { worker: true })
  await addCoordinator(app, admin, 'lead.one@council.example')
  const programmeId = await tenant.programme({ session_alert_weeks: 3 })
  const today = todayLocal()
  const trained = addDays(today, -30)
  const mentorId = await vettedMentor(app, coordinator, [programmeId], { since: trained })
  const referral = await post(app, coordinator, '/v1/referrals', referralBody(programmeId), 201)
  await post(app, coordinator, `/v1/referrals/${referral.id as string}/accept`, {}, 200)
  const match = await post(
    app,
    coordinator,
    '/v1/matches',
    {
      referral_id: referral.id,
      mentor_id: mentorId,
      introduction: { scheduled_at: '2026-12-01T16:00:00Z', location: 'School' }
    },
    201
  )
  const agreed = { agreed: true, recorded_on: today }
  await post(
    app,
    coordinator,
    `/v1/matches/${match.id as string}/activate`,
    {
      introduction: { held_on: today, attendees: ['young_person', 'mentor', 'coordinator'] },
      agreements: {
        young_person: agreed,
        mentor: agreed,
        parent_carer: { ...agreed, name: 'Ngozi Okonkwo', relationship: 'mother' }
      }
    },
    200
  )

  t.test("no session for the programme's weeks: one alert to the coordinators per match and gap", async (t) => {
    const early = await runJob(app, admin, 'session-gap-alerts', addDays(today, 20))
    t.equal(early.status, 'succeeded', JSON.stringify(early))
    t.equal(early.counts.matches_with_gap, 0)
    const due = await runJob(app, admin, 'session-gap-alerts', addDays(today, 21))
    t.equal(due.counts.matches_with_gap, 1)
    t.equal(due.counts.notifications_inserted, 1)
    const again = await runJob(app, admin, 'session-gap-alerts', addDays(today, 28))
    t.equal(again.counts.notifications_inserted, 0, 'the same gap is alerted once')
    const rows = await db
      .selectFrom('notifications')
      .select(['recipient', 'subject'])
      .where('kind', '=', 'session_gap_alert')
      .execute()
    t.same(
      rows.map((r) => r.recipient),
      ['lead.one@council.example']
    )
    t.match(rows[0].subject, referral.reference)
  })

  t.test('a session logged closes the gap', async (t) => {
    await post(
      app,
      coordinator,
      `/v1/matches/${match.id as string}/sessions`,
      { held_on: today, duration_minutes: 60, location_type: 'school', attended: true },
      201
    )
    const run = await runJob(app, admin, 'session-gap-alerts', addDays(today, 20))
    t.equal(run.counts.matches_with_gap, 0)
  })

  t.test('a mentor whose training lapses has its active matches named and flagged', async (t) => {
    const expires = addMonths(trained, 12)
    const before = await runJob(app, admin, 'training-expiry-alerts', addDays(expires, -30))
    t.equal(before.status, 'succeeded')
    let got = (
      await app.inject({ method: 'GET', url: `/v1/matches/${match.id as string}`, headers: auth(coordinator) })
    ).json()
    t.equal(got.flagged_at, null, 'a warning does not flag')
    const lapsed = await runJob(app, admin, 'training-expiry-alerts', expires)
    t.equal(lapsed.status, 'succeeded')
    got = (
      await app.inject({ method: 'GET', url: `/v1/matches/${match.id as string}`, headers: auth(coordinator) })
    ).json()
    t.ok(got.flagged_at)
    t.match(got.flag_reason, /expired/)
    const flagEvents = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('actor_id', '=', 'job:training-expiry-alerts')
      .execute()
    t.match(
      flagEvents,
      [
        {
          action: 'update',
          resource_type: 'match',
          resource_id: match.id,
          referral_id: referral.id,
          mentor_id: mentorId,
          actor_role: 'system',
          request_id: lapsed.id
        }
      ],
      'the flag is an access event of the job run'
    )
    const flagged = await app.inject({ method: 'GET', url: '/v1/matches?flagged=true', headers: auth(coordinator) })
    t.equal(flagged.json().data.length, 1)
    const alert = await db
      .selectFrom('notifications')
      .select('body')
      .where('kind', '=', 'training_expiry_alert')
      .where('recipient', '=', 'lead.one@council.example')
      .where('dedupe_key', 'like', '%:expired:%')
      .executeTakeFirst()
    t.ok(alert?.body.includes(referral.reference as string), "the coordinator's alert names the match")
  })
})
