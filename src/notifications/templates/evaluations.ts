import { SIGN_OFF, type Message } from './message.js'

/** What an evaluation reminder quotes: the kind, the due day, the referral reference and the programme. */
export interface EvaluationReminderFacts {
  kind: string
  dueOn: string
  reference: string
  programme: string
  /** Days from the due date to the day of the reminder (negative before it). */
  days: number
  /** Whole weeks overdue (0 before the due date and in its first week). */
  weeksOverdue: number
  audience: 'staff' | 'mentor' | 'admin'
}

const KIND_LABEL: Record<string, string> = {
  annual: 'annual evaluation',
  early_review: 'early review',
  closure: 'closure evaluation'
}

const ASK: Record<EvaluationReminderFacts['audience'], string> = {
  mentor: 'Please arrange it with the young person and your programme coordinator, and record it in Waymark.',
  admin: 'It has been overdue for four weeks or more; please make sure the programme team completes it.',
  staff: 'Please arrange it with the mentor and the young person, and record it in Waymark.'
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

export function evaluationReminder(f: EvaluationReminderFacts): Message {
  const what = KIND_LABEL[f.kind] ?? 'evaluation'
  const when =
    f.days < 0
      ? `falls due on ${f.dueOn}, in ${plural(-f.days, 'day')}`
      : f.days === 0
        ? `is due today (${f.dueOn})`
        : `was due on ${f.dueOn} and is ${plural(f.days, 'day')} overdue`
  const subject =
    f.days < 0
      ? `Evaluation due soon: ${f.reference}`
      : f.days === 0
        ? `Evaluation due today: ${f.reference}`
        : `Evaluation overdue (${f.weeksOverdue === 0 ? plural(f.days, 'day') : plural(f.weeksOverdue, 'week')}): ${f.reference}`
  return {
    subject,
    body: `Hello,\n\nThe ${what} of the ${f.programme} match for referral ${f.reference} ${when}.\n\n${ASK[f.audience]}${SIGN_OFF}`
  }
}
