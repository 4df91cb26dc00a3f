import type { Message } from './message.js'

/** A concern raised: the reference, the category and who raised it (by role), never the description or a name. */
export interface ConcernRaisedFacts { reference: string, category: string, raisedRole: string, immediateRisk: boolean }

export function concernRaised (f: ConcernRaisedFacts): Message {
  return {
    subject: `${f.immediateRisk ? 'URGENT ' : ''}Safeguarding concern raised: referral ${f.reference}`,
    body: `Hello,\n\nA safeguarding concern (${f.category.replace(/_/g, ' ')}) has been raised about referral ${f.reference} by a ${f.raisedRole}.${f.immediateRisk ? ' It is marked as an immediate risk.' : ''}\n\nPlease read it in Waymark and record what you do as actions on the concern.\n\nWaymark`
  }
}
