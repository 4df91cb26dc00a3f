import { SIGN_OFF, type Message } from './message.js'

/** What every message to a referrer quotes: the referral's reference and the programme's name. */
export interface ReferralFacts {
  reference: string
  programme: string
}

const footer = `\n\nPlease quote the reference in any correspondence, and tell the team at once if the young person's circumstances or any safeguarding concern change.${SIGN_OFF}`

export function referralAcknowledgement(f: ReferralFacts): Message {
  return {
    subject: `Referral ${f.reference} received`,
    body: `Hello,\n\nThank you for your referral to ${f.programme}. We have received it and its reference is ${f.reference}.\n\nA coordinator will review it and may come back to you with questions. You can follow its status through your referral system.${footer}`
  }
}

export function informationRequested(f: ReferralFacts & { questions: string }): Message {
  return {
    subject: `Referral ${f.reference}: more information needed`,
    body: `Hello,\n\nThe ${f.programme} coordinator needs more information about referral ${f.reference} before deciding on it:\n\n${f.questions}\n\nPlease answer through your referral system.${footer}`
  }
}

const DECLINE_TEXT: Record<string, string> = {
  ineligible: 'the young person is not eligible for this programme',
  needs_too_complex: "the young person's needs are beyond what mentoring can safely support",
  better_served_elsewhere: 'the young person would be better served by another service',
  consent_missing: 'the required consent is missing',
  quota_reached: 'the referral quota has been reached',
  no_mentor_available: 'no suitable mentor is available',
  other: 'of the reason the coordinator has given'
}

export function referralDeclined(f: ReferralFacts & { reasonCode: string; note: string | undefined }): Message {
  return {
    subject: `Referral ${f.reference} declined`,
    body: `Hello,\n\nThe ${f.programme} coordinator has declined referral ${f.reference} because ${DECLINE_TEXT[f.reasonCode] ?? DECLINE_TEXT.other}.${f.note !== undefined ? `\n\n${f.note}` : ''}\n\nThe coordinator's decision is final; please contact the team to discuss other support.${footer}`
  }
}

export function referralMatched(f: ReferralFacts): Message {
  return {
    subject: `Referral ${f.reference}: a mentor has been found`,
    body: `Hello,\n\nA mentor has been found for referral ${f.reference} on ${f.programme}. The coordinator will be in touch to arrange the introduction meeting with you, the young person and the mentor.${SIGN_OFF}`
  }
}
