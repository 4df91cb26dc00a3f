import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { referralBody } from '../support/bodies.js'
import { recentlyVettedMentor } from '../support/mentors.js'
import { post, send } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { auth } from '../support/tokens.js'

const person = (
  given: string,
  family: string,
  dateOfBirth: string,
  postcode: string,
  email: string
): Record<string, any> => ({
  young_person: { given_name: given, family_name: family, date_of_birth: dateOfBirth, postcode },
  referrer: { email }
})

async function read(app: FastifyInstance, token: string, id: string): Promise<any> {
  const res = await app.inject({ method: 'GET', url: `/v1/referrals/${id}`, headers: auth(token) })
  if (res.statusCode !== 200) throw new Error(res.body)
  return res.json()
}

const flagged = (r: any): Array<[string, string]> => (r.possible_duplicates as any[]).map((d) => [d.reference, d.basis])

t.test('possible duplicate referrals, shown to coordinators only, linked as one young person', async (t) => {
  const {
    app,
    tenant,
    other,
    tokens: { admin, coordinator }
  } = await setUp(t, { other: true })
  const programme = await tenant.programme()
  const school = tenant.token('referrer', { sub: 'referrer-school' })
  const socialWorker = tenant.token('referrer', { sub: 'referrer-social-work' })
  const integration = tenant.token('integration')

  // The school refers Amara; a social worker refers her again with a typo; a third names her family name first.
  const first = await post(
    app,
    school,
    '/v1/referrals',
    referralBody(programme, person('Amara', 'Okonkwo', '2012-03-14', 'BR1 3AB', 'teacher@school.example')),
    201
  )
  const typo = await post(
    app,
    coordinator,
    '/v1/referrals',
    referralBody(programme, person('Amara', 'Okonkow', '2012-03-14', 'BR1 3AB', 'duty@council.example')),
    201
  )
  const swapped = await post(
    app,
    socialWorker,
    '/v1/referrals',
    referralBody(programme, person('Okonkwo', 'Amara', '2012-04-01', 'br1 3xy', 'sw@council.example')),
    201
  )
  // Not the same child: another name on the same birthday; the same name elsewhere, born another day.
  const sameBirthday = await post(
    app,
    school,
    '/v1/referrals',
    referralBody(programme, person('Tomas', 'Okafor', '2012-03-14', 'BR1 3AB', 'teacher2@school.example')),
    201
  )
  const namesake = await post(
    app,
    school,
    '/v1/referrals',
    referralBody(programme, person('Amara', 'Okonkwo', '2011-09-09', 'SE1 7PB', 'teacher3@school.example')),
    201
  )
  // Another organisation's referral of a child with the same details is never compared.
  await post(
    app,
    other.token('coordinator'),
    '/v1/referrals',
    referralBody(await other.programme(), person('Amara', 'Okonkwo', '2012-03-14', 'BR1 3AB', 'x@elsewhere.example')),
    201
  )

  t.test("flagged in a coordinator's intake response, never in a referrer's", async (t) => {
    t.same(flagged(typo), [[first.reference, 'date_of_birth_and_name']], 'one typo on the same date of birth')
    t.same(typo.linked_referral_ids, [])
    t.notOk('possible_duplicates' in swapped, 'a referrer is not told of another referral of the child')
    t.notOk('linked_referral_ids' in swapped)
    t.notOk('possible_duplicates' in first)
  })

  t.test('on GET for coordinators and admins: each side of a pair, newest first', async (t) => {
    t.same(flagged(await read(app, coordinator, first.id)), [
      [swapped.reference, 'name_and_postcode_sector'],
      [typo.reference, 'date_of_birth_and_name']
    ])
    t.same(
      flagged(await read(app, admin, swapped.id)),
      [[first.reference, 'name_and_postcode_sector']],
      'swapped names in the same postcode sector'
    )
    t.same(flagged(await read(app, coordinator, sameBirthday.id)), [], 'the same birthday alone is no match')
    t.same(flagged(await read(app, coordinator, namesake.id)), [], 'the same name alone is no match')
    const pair = (await read(app, coordinator, first.id)).possible_duplicates[1]
    t.same(Object.keys(pair).sort(), ['basis', 'reference', 'referral_id', 'status', 'submitted_at'])
    t.equal(pair.referral_id, typo.id)
  })

  t.test('never to referrers or integrations', async (t) => {
    for (const [token, id] of [
      [school, first.id],
      [socialWorker, swapped.id],
      [integration, first.id]
    ]) {
      const r = await read(app, token, id)
      t.notOk('possible_duplicates' in r)
      t.notOk('linked_referral_ids' in r)
    }
    const list = await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(school) })
    t.notMatch(list.body, 'possible_duplicates')
  })

  t.test('a coordinator links two referrals of one young person; nothing is merged', async (t) => {
    const url = `/v1/referrals/${first.id as string}/link`
    t.equal(
      (await app.inject({ method: 'POST', url, headers: auth(school), payload: { referral_id: typo.id } })).statusCode,
      403
    )
    const self = await app.inject({
      method: 'POST',
      url,
      headers: auth(coordinator),
      payload: { referral_id: first.id }
    })
    t.equal(self.statusCode, 422)
    t.equal(self.json().reasons[0].code, 'link_to_itself')
    const theirs = await post(
      app,
      other.token('coordinator'),
      '/v1/referrals',
      referralBody(await other.programme(), person('Amara', 'Okonkwo', '2012-03-14', 'BR1 3AB', 'y@elsewhere.example')),
      201
    )
    const foreign = await app.inject({
      method: 'POST',
      url,
      headers: auth(coordinator),
      payload: { referral_id: theirs.id }
    })
    const random = await app.inject({
      method: 'POST',
      url,
      headers: auth(coordinator),
      payload: { referral_id: randomUUID() }
    })
    t.equal(foreign.statusCode, 422)
    t.same(foreign.json().errors, [{ path: 'body/referral_id', message: 'is not a referral of your organisation' }])
    t.same(
      { ...foreign.json(), request_id: null },
      { ...random.json(), request_id: null },
      "another organisation's referral reads as none"
    )
    t.equal(
      (
        await app.inject({
          method: 'POST',
          url: `/v1/referrals/${randomUUID()}/link`,
          headers: auth(coordinator),
          payload: { referral_id: typo.id }
        })
      ).statusCode,
      404
    )

    const linked = await post(app, coordinator, url, { referral_id: typo.id }, 200)
    t.same(linked.linked_referral_ids, [typo.id])
    t.same(
      flagged(linked),
      [[swapped.reference, 'name_and_postcode_sector']],
      'a linked pair is no longer a possible duplicate'
    )
    const again = await post(app, coordinator, url, { referral_id: typo.id }, 200)
    t.same(again.linked_referral_ids, [typo.id], 'linking again changes nothing')
    const otherSide = await read(app, coordinator, typo.id)
    t.same(otherSide.linked_referral_ids, [first.id])
    t.equal(otherSide.reference, typo.reference, 'each referral keeps its own record')
    t.equal(otherSide.young_person.family_name, 'Okonkow')

    // Linking the third with the second joins all three.
    await post(app, admin, `/v1/referrals/${swapped.id as string}/link`, { referral_id: typo.id }, 200)
    t.same((await read(app, coordinator, first.id)).linked_referral_ids.sort(), [typo.id, swapped.id].sort())
    t.same(flagged(await read(app, coordinator, first.id)), [])
    t.notOk('linked_referral_ids' in (await read(app, school, first.id)), 'still never shown to a referrer')
  })

  t.test('the access log of a referral covers every referral linked with it', async (t) => {
    const events = (
      await send(app, admin, 'GET', `/v1/referrals/${first.id as string}/access-log?limit=200`, undefined, 200)
    ).data as Array<{ referral_id: string }>
    const about = new Set(events.map((e) => e.referral_id))
    t.ok(about.has(first.id) && about.has(typo.id) && about.has(swapped.id), 'the three referrals of Amara')
    t.notOk(about.has(sameBirthday.id), "not another child's")
  })

  t.test('reports count linked referrals as one young person', async (t) => {
    const summary = await send(
      app,
      coordinator,
      'GET',
      `/v1/reports/programme-summary?programme_id=${programme}`,
      undefined,
      200
    )
    t.same(
      [summary.referrals.submitted, summary.referrals.young_people],
      [5, 3],
      'three referrals of Amara, linked, and two other children'
    )
  })

  t.test('matching treats linked referrals as one young person', async (t) => {
    const mentors = [
      await recentlyVettedMentor(app, coordinator, [programme]),
      await recentlyVettedMentor(app, coordinator, [programme])
    ]
    for (const r of [first, typo]) await post(app, coordinator, `/v1/referrals/${r.id as string}/accept`, {}, 200)
    const intro = { scheduled_at: '2026-12-01T16:00:00Z', location: 'School library' }
    await post(
      app,
      coordinator,
      '/v1/matches',
      { referral_id: first.id, mentor_id: mentors[0], introduction: intro },
      201
    )
    const second = await app.inject({
      method: 'POST',
      url: '/v1/matches',
      headers: auth(coordinator),
      payload: { referral_id: typo.id, mentor_id: mentors[1], introduction: intro }
    })
    t.equal(second.statusCode, 409, second.body)
    t.equal(second.json().reasons[0].code, 'young_person_already_matched')
    t.match(second.json().reasons[0].message, first.reference)
  })

  t.test("a correction to the young person's details is judged again", async (t) => {
    t.same(flagged(await read(app, coordinator, sameBirthday.id)), [])
    await send(
      app,
      coordinator,
      'PATCH',
      `/v1/referrals/${sameBirthday.id as string}`,
      {
        young_person: {
          ...referralBody(programme).young_person,
          given_name: 'Amara',
          family_name: 'Okonkwo',
          date_of_birth: '2012-03-14'
        }
      },
      200
    )
    t.same(
      flagged(await read(app, coordinator, sameBirthday.id)),
      [
        [swapped.reference, 'name_and_postcode_sector'],
        [typo.reference, 'date_of_birth_and_name'],
        [first.reference, 'date_of_birth_and_name']
      ],
      'now flagged against the three referrals of Amara'
    )
  })
})
