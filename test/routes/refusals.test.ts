import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { mentorBody, referralBody } from '../support/bodies.js'
import { recentlyVettedMentor } from '../support/mentors.js'
import { post, send } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { auth } from '../support/tokens.js'

const intro = { scheduled_at: '2026-12-01T16:00:00Z', location: 'School library' }

/** A problem without what differs between two requests. */
async function refusal(
  app: FastifyInstance,
  token: string,
  url: string,
  payload: Record<string, unknown>
): Promise<Record<string, unknown>> {
  const res = await app.inject({ method: 'POST', url, headers: auth(token), payload })
  const { request_id: _r, ...rest } = res.json()
  return { status: res.statusCode, ...rest }
}

t.test('a body naming a record the organisation does not have is refused (422), naming the field', async (t) => {
  const {
    app,
    tenant,
    other,
    tokens: { coordinator }
  } = await setUp(t, { other: true })
  const programme = await tenant.programme()
  const theirProgramme = await other.programme()
  const theirMentor = await recentlyVettedMentor(app, other.token('coordinator'), [theirProgramme])
  const mentor = await recentlyVettedMentor(app, coordinator, [programme])
  const referral = await post(app, coordinator, '/v1/referrals', referralBody(programme), 201)
  await post(app, coordinator, `/v1/referrals/${referral.id as string}/accept`, {}, 200)
  const theirReferral = await post(app, other.token('coordinator'), '/v1/referrals', referralBody(theirProgramme), 201)
  await post(app, other.token('coordinator'), `/v1/referrals/${theirReferral.id as string}/accept`, {}, 200)

  const cases: Array<{
    url: string
    field: string
    path: string
    theirs: Record<string, unknown>
    random: Record<string, unknown>
  }> = [
    {
      url: '/v1/matches',
      field: 'mentor_id',
      path: 'body/mentor_id',
      theirs: { referral_id: referral.id, mentor_id: theirMentor, introduction: intro },
      random: { referral_id: referral.id, mentor_id: randomUUID(), introduction: intro }
    },
    {
      url: '/v1/matches',
      field: 'referral_id',
      path: 'body/referral_id',
      theirs: { referral_id: theirReferral.id, mentor_id: mentor, introduction: intro },
      random: { referral_id: randomUUID(), mentor_id: mentor, introduction: intro }
    },
    {
      url: '/v1/matching/plans',
      field: 'programme_id',
      path: 'body/programme_id',
      theirs: { programme_id: theirProgramme },
      random: { programme_id: randomUUID() }
    },
    {
      url: '/v1/referrals',
      field: 'programme_id',
      path: 'body/programme_id',
      theirs: referralBody(theirProgramme),
      random: referralBody(randomUUID())
    },
    {
      url: '/v1/mentors',
      field: 'programme_ids/0',
      path: 'body/programme_ids/0',
      theirs: mentorBody([theirProgramme]),
      random: mentorBody([randomUUID()])
    }
  ]
  for (const c of cases) {
    const theirs = await refusal(app, coordinator, c.url, c.theirs)
    t.equal(theirs.status, 422, `${c.url} ${c.field}: ${JSON.stringify(theirs)}`)
    t.equal(theirs.code, 'unknown_reference')
    t.same(theirs.errors, [{ path: c.path, message: (theirs.errors as Array<{ message: string }>)[0].message }])
    t.match((theirs.reasons as Array<{ code: string; message: string }>)[0], {
      code: 'unknown_reference',
      message: new RegExp(`^${c.field} is not a`)
    })
    t.same(
      await refusal(app, coordinator, c.url, c.random),
      theirs,
      `${c.url} ${c.field}: another organisation's id reads as a random one`
    )
  }

  const theirMatch = await refusal(app, coordinator, '/v1/safeguarding-concerns', {
    match_id: randomUUID(),
    category: 'other',
    description: 'Seemed withdrawn.'
  })
  t.equal(theirMatch.status, 422)
  t.same(theirMatch.errors, [{ path: 'body/match_id', message: 'is not a match you can raise a concern about' }])
  const patch = await app.inject({
    method: 'PATCH',
    url: `/v1/mentors/${mentor}`,
    headers: auth(coordinator),
    payload: { programme_ids: [programme, theirProgramme] }
  })
  t.equal(patch.statusCode, 422, patch.body)
  t.same(patch.json().errors, [{ path: 'body/programme_ids/1', message: 'is not a programme of your organisation' }])
})

t.test('refusals say exactly what is missing and what to do next', async (t) => {
  const {
    app,
    tenant,
    tokens: { coordinator }
  } = await setUp(t)
  const lenient = await tenant.programme()
  const strict = await tenant.programme({
    mentor_requirements: { references_required: 3, safeguarding_training_valid_months: 1, dbs_renewal_months: 1 }
  })
  const referral = await post(app, coordinator, '/v1/referrals', referralBody(strict), 201)
  await post(app, coordinator, `/v1/referrals/${referral.id as string}/accept`, {}, 200)

  t.test('a match with a mentor not cleared for the programme names each gap', async (t) => {
    // Approved (and cleared) for the lenient programme, then added to the strict one, whose rules it misses.
    const lapsed = await recentlyVettedMentor(app, coordinator, [lenient], { profile: { given_name: 'Robin' } })
    await send(app, coordinator, 'PATCH', `/v1/mentors/${lapsed}`, { programme_ids: [lenient, strict] }, 200)
    const res = await app.inject({
      method: 'POST',
      url: '/v1/matches',
      headers: auth(coordinator),
      payload: { referral_id: referral.id, mentor_id: lapsed, introduction: intro }
    })
    t.equal(res.statusCode, 422, res.body)
    const reasons = res.json().reasons as Array<{ code: string; message: string }>
    t.same(reasons.map((r) => r.code).sort(), ['dbs_expired', 'references_missing', 'safeguarding_training_expired'])
    t.notOk(
      reasons.some((r) => r.code === 'not_cleared'),
      'no catch-all'
    )
    t.match(
      reasons.find((r) => r.code === 'references_missing')?.message,
      'Robin: 2 satisfactory references received; 3 required'
    )
    t.match(
      reasons.find((r) => r.code === 'safeguarding_training_expired')?.message,
      /^Robin: Safeguarding training completed .* lapsing on /
    )

    const suggestion = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${referral.id as string}/mentor-suggestions?mentor_id=${lapsed}`,
      headers: auth(coordinator)
    })
    t.equal(suggestion.statusCode, 200, suggestion.body)
    t.same(
      suggestion
        .json()
        .data[0].excluded_by.map((r: any) => r.code)
        .sort(),
      ['dbs_expired', 'references_missing', 'safeguarding_training_expired'],
      'the explanation of one mentor says the same'
    )
  })

  t.test('a mentor still in vetting is refused for want of approval alone', async (t) => {
    const unapproved = await recentlyVettedMentor(app, coordinator, [lenient], {
      approve: false,
      profile: { given_name: 'Sky' }
    })
    const other = await post(
      app,
      coordinator,
      '/v1/referrals',
      referralBody(lenient, { referrer: { email: 'second.teacher@school.example' } }),
      201
    )
    await post(app, coordinator, `/v1/referrals/${other.id as string}/accept`, {}, 200)
    const res = await app.inject({
      method: 'POST',
      url: '/v1/matches',
      headers: auth(coordinator),
      payload: { referral_id: other.id, mentor_id: unapproved, introduction: intro }
    })
    t.equal(res.statusCode, 422, res.body)
    t.same(res.json().reasons, [
      {
        code: 'not_approved',
        message: 'Sky is in vetting, not approved yet: approve the mentor once every check is clear'
      }
    ])
  })

  t.test('an applicant refused approval is told the next step', async (t) => {
    const applicant = await post(app, coordinator, '/v1/mentors', mentorBody([lenient]), 201)
    const res = await app.inject({
      method: 'POST',
      url: `/v1/mentors/${applicant.id as string}/approve`,
      headers: auth(coordinator),
      payload: {}
    })
    t.equal(res.statusCode, 409, res.body)
    t.equal(res.json().reasons[0].code, 'vetting_not_started')
    t.match(res.json().reasons[0].message, `record the vetting first`)
    t.match(res.json().detail, `POST /v1/mentors/${applicant.id as string}/interviews`)
  })
})
