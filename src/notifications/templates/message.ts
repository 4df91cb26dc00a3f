/**
 * The shape every message of the catalogue has. Messages quote references, programme names and
 * (to staff) mentors' names, never a young person's details: an email can be misdirected, and the
 * log transport writes messages out.
 */
export interface Message {
  subject: string
  body: string
}

/** The closing line of every message. */
export const SIGN_OFF = '\n\nWaymark, on behalf of the programme team'
