import type { ProgrammeSummary, SectionName } from '../schemas/reports.js'

export { SECTIONS } from '../schemas/reports.js'

export type Cell = string | number | null

/**
 * One field, quoted as RFC 4180 asks (a field holding a comma, a quote or a line break is quoted,
 * quotes doubled). Text that a spreadsheet would run as a formula is prefixed with an apostrophe.
 */
export function csvField(value: Cell): string {
  if (value === null) return ''
  let s = String(value)
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function csvRows(rows: Cell[][]): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n')
}

export interface Section {
  name: string
  header: string[]
  rows: Cell[][]
}

/** The summary as tables: the same figures as the JSON, the outcome averages included. */
export function summarySections(s: ProgrammeSummary): Section[] {
  const sections: Section[] = [
    {
      name: 'summary',
      header: ['figure', 'value'],
      rows: [
        ['programme_id', s.programme_id],
        ['programme_name', s.programme_name],
        ['from', s.from],
        ['to', s.to],
        ['generated_on', s.generated_on],
        ['referrals_submitted', s.referrals.submitted],
        ['young_people', s.referrals.young_people],
        ['referrals_accepted', s.decisions.accepted],
        ['referrals_declined', s.decisions.declined],
        ['acceptance_rate', s.decisions.acceptance_rate],
        ['referrals_matched', s.time_to_match.matched],
        ['median_days_to_match', s.time_to_match.median_days],
        ['waiting_list', s.waiting_list.count],
        ['waiting_list_oldest_wait_days', s.waiting_list.oldest_wait_days],
        ['waiting_list_oldest_accepted_on', s.waiting_list.oldest_accepted_on],
        ['matches_proposed', s.matches.proposed],
        ['matches_active', s.matches.active],
        ['matches_paused', s.matches.paused],
        ['matches_started', s.matches.started],
        ['matches_closed', s.matches.closed],
        ['closures_before_three_months', s.early_closures.count],
        ['sessions_logged', s.sessions.logged],
        ['sessions_attended', s.sessions.attended],
        ['session_hours', s.sessions.hours],
        ['evaluations_due', s.evaluations.due],
        ['evaluations_completed', s.evaluations.completed],
        ['evaluation_completion_rate', s.evaluations.completion_rate]
      ]
    },
    {
      name: 'referrals_by_status',
      header: ['status', 'count'],
      rows: s.referrals.by_status.map((r) => [r.status, r.count])
    },
    {
      name: 'referrals_by_team',
      header: ['organisation', 'team', 'count'],
      rows: s.referrals.by_team.map((r) => [r.organisation, r.team, r.count])
    },
    {
      name: 'decline_reasons',
      header: ['reason_code', 'count'],
      rows: s.decisions.decline_reasons.map((r) => [r.reason_code, r.count])
    },
    {
      name: 'early_closure_reasons',
      header: ['reason_code', 'count'],
      rows: s.early_closures.reasons.map((r) => [r.reason_code, r.count])
    },
    {
      name: 'evaluations_by_kind',
      header: ['kind', 'due', 'completed'],
      rows: s.evaluations.by_kind.map((r) => [r.kind, r.due, r.completed])
    },
    {
      name: 'outcomes',
      header: ['measure', 'respondent', 'responses', 'mean'],
      rows: s.outcomes.map((o) => [o.measure, o.respondent, o.responses, o.mean])
    },
    {
      name: 'outcome_distributions',
      header: ['measure', 'respondent', 'score', 'label', 'count'],
      rows: s.outcomes.flatMap((o) => o.distribution.map((p) => [o.measure, o.respondent, p.score, p.label, p.count]))
    }
  ]
  return sections
}

/**
 * The whole summary as one CSV: each section a line with its name, its header and its rows, sections
 * separated by an empty line.
 */
export function summaryCsv(s: ProgrammeSummary): string {
  return (
    summarySections(s)
      .map((sec) => csvRows([[sec.name], sec.header, ...sec.rows]))
      .join('\r\n\r\n') + '\r\n'
  )
}

/** One section as a plain CSV table: its header, then its rows. */
export function sectionCsv(s: ProgrammeSummary, name: SectionName): string {
  const sec = summarySections(s).find((x) => x.name === name) as Section
  return csvRows([sec.header, ...sec.rows]) + '\r\n'
}
