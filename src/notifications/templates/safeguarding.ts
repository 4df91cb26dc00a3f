import type { Message } from './message.js'

const words = (s: string): string => s.replace(/_/g, ' ')

/** A concern raised: the reference, the category, the kind and who raised it (by role), never the description or a name. */
export interface ConcernRaisedFacts {
  reference: string
  category: string
  kind: string
  raisedRole: string
  immediateRisk: boolean
}

export function concernRaised(f: ConcernRaisedFacts): Message {
  const allegation =
    f.kind === 'about_young_person'
      ? ''
      : ` It is an ${words(f.kind)}: it must be referred to the LADO by the end of the next working day.`
  return {
    subject: `${f.immediateRisk ? 'URGENT ' : ''}Safeguarding concern raised: referral ${f.reference}`,
    body: `Hello,\n\nA safeguarding concern (${words(f.category)}) has been raised about referral ${f.reference} by a ${f.raisedRole}.${f.immediateRisk ? ' It is marked as an immediate risk.' : ''}${allegation}\n\nPlease read it in Waymark, acknowledge it and record what you do as actions on the concern.\n\nWaymark`
  }
}

/** A deadline missed: the reference, the category, which deadline and when it fell due (local time), nothing else. */
export interface DeadlineMissedFacts {
  reference: string
  category: string
  deadline: 'acknowledgement' | 'lado_referral'
  dueAt: string
}

export function deadlineMissed(f: DeadlineMissedFacts): Message {
  const what = f.deadline === 'acknowledgement' ? 'has not been acknowledged' : 'has not been referred to the LADO'
  return {
    // Short enough that no mail client folds it.
    subject: `ESCALATION: ${f.deadline === 'acknowledgement' ? 'concern not acknowledged' : 'not referred to the LADO'}, referral ${f.reference}`,
    body: `Hello,\n\nA safeguarding concern (${words(f.category)}) about referral ${f.reference} ${what}; it was due by ${f.dueAt}.\n\nPlease make sure it is acted on today, and record it in Waymark.\n\nWaymark`
  }
}
