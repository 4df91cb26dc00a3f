import type { Message } from './message.js'

/** A match with no session logged: the referral reference, since when, and the programme's alert weeks. */
export interface SessionGapFacts {
  reference: string
  since: string
  alertWeeks: number
}

export function sessionGapAlert(f: SessionGapFacts): Message {
  return {
    subject: `No mentoring session logged for ${f.reference} in ${f.alertWeeks} weeks`,
    body: `Hello,\n\nThe match for referral ${f.reference} has had no session logged since ${f.since}, more than ${f.alertWeeks} weeks. Please check in with the mentor and the young person, and log any sessions held.\n\nWaymark`
  }
}
