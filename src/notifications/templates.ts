/**
 * Message texts. They quote references and programme names, never a young person's details: an
 * email can be misdirected, and the log transport writes them out.
 */
export interface Message { subject: string, body: string }

const footer = '\n\nPlease quote the reference in any correspondence, and tell the team at once if the young person\'s circumstances or any safeguarding concern change.\n\nWaymark, on behalf of the programme team'

export function referralAcknowledgement (reference: string, programme: string): Message {
  return {
    subject: `Referral ${reference} received`,
    body: `Hello,\n\nThank you for your referral to ${programme}. We have received it and its reference is ${reference}.\n\nA coordinator will review it and may come back to you with questions. You can follow its status through your referral system.${footer}`
  }
}

export function informationRequested (reference: string, programme: string, questions: string): Message {
  return {
    subject: `Referral ${reference}: more information needed`,
    body: `Hello,\n\nThe ${programme} coordinator needs more information about referral ${reference} before deciding on it:\n\n${questions}\n\nPlease answer through your referral system.${footer}`
  }
}

const DECLINE_TEXT: Record<string, string> = {
  ineligible: 'the young person is not eligible for this programme',
  needs_too_complex: 'the young person\'s needs are beyond what mentoring can safely support',
  better_served_elsewhere: 'the young person would be better served by another service',
  consent_missing: 'the required consent is missing',
  quota_reached: 'the referral quota has been reached',
  no_mentor_available: 'no suitable mentor is available',
  other: 'of the reason the coordinator has given'
}

export function referralDeclined (reference: string, programme: string, reasonCode: string, note: string | undefined): Message {
  return {
    subject: `Referral ${reference} declined`,
    body: `Hello,\n\nThe ${programme} coordinator has declined referral ${reference} because ${DECLINE_TEXT[reasonCode] ?? DECLINE_TEXT.other}.${note !== undefined ? `\n\n${note}` : ''}\n\nThe coordinator's decision is final; please contact the team to discuss other support.${footer}`
  }
}
