import type { FastifyInstance } from 'fastify'
import { referralBody } from './bodies.js'
import { recentlyVettedMentor } from './mentors.js'
import { post } from './requests.js'
import { todayLocal } from './time.js'

export interface MatchSetup {
  matchId: string
  mentorId: string
  referralId: string
  reference: string
}

/** A referral accepted, a vetted mentor, and the match between them (active unless told not to), all through the API. */
export async function makeMatch(
  app: FastifyInstance,
  coordinator: string,
  programmeId: string,
  o: { activate?: boolean; referral?: Record<string, any> } = {}
): Promise<MatchSetup> {
  const mentorId = await recentlyVettedMentor(app, coordinator, [programmeId])
  const referral = await post(app, coordinator, '/v1/referrals', referralBody(programmeId, o.referral ?? {}), 201)
  await post(app, coordinator, `/v1/referrals/${referral.id as string}/accept`, {}, 200)
  const match = await post(
    app,
    coordinator,
    '/v1/matches',
    {
      referral_id: referral.id,
      mentor_id: mentorId,
      introduction: { scheduled_at: new Date().toISOString(), location: 'School library' }
    },
    201
  )
  if (o.activate !== false) await activate(app, coordinator, match.id)
  return { matchId: match.id, mentorId, referralId: referral.id, reference: referral.reference }
}

export async function activate(app: FastifyInstance, coordinator: string, matchId: string): Promise<void> {
  const today = todayLocal()
  const agreed = { agreed: true, recorded_on: today }
  await post(
    app,
    coordinator,
    `/v1/matches/${matchId}/activate`,
    {
      introduction: { held_on: today, attendees: ['young_person', 'mentor', 'coordinator', 'referrer'] },
      agreements: {
        young_person: agreed,
        mentor: agreed,
        parent_carer: { ...agreed, name: 'Ngozi Okonkwo', relationship: 'mother' }
      }
    },
    200
  )
}

export async function matchAction(
  app: FastifyInstance,
  coordinator: string,
  matchId: string,
  action: 'pause' | 'resume' | 'close',
  payload: Record<string, unknown>
): Promise<void> {
  await post(app, coordinator, `/v1/matches/${matchId}/${action}`, payload, 200)
}

export const response = (
  respondent: string,
  measures: Record<string, number>,
  comments?: string
): Record<string, unknown> => ({ respondent, measures, ...(comments !== undefined ? { comments } : {}) })
