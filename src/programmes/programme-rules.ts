import { Value } from 'typebox/value'
import { ProgrammeRulesSchema, type ProgrammeRules } from '../schemas/programmes.js'
import { AppError } from '../errors/catalogue.js'

/** Fills every default and checks the rules hang together, naming the field at fault. */
export function normaliseRules(input: unknown): ProgrammeRules {
  const rules = Value.Default(ProgrammeRulesSchema, structuredClone(input ?? {})) as ProgrammeRules
  const errors: Array<{ path: string; message: string }> = []
  const el = rules.eligibility
  if (el.min_age > el.max_age)
    errors.push({ path: 'body/rules/eligibility/min_age', message: 'must not exceed max_age' })
  if (el.extended_max_age !== undefined && el.extended_max_age < el.max_age)
    errors.push({ path: 'body/rules/eligibility/extended_max_age', message: 'must be at least max_age' })
  if (el.extended_max_age !== undefined && el.extended_if.length === 0)
    errors.push({ path: 'body/rules/eligibility/extended_if', message: 'must name when extended_max_age applies' })
  const mr = rules.mentor_requirements
  if (
    mr.prior_professional_gap_months !== undefined &&
    mr.max_prior_professional_gap_months !== undefined &&
    mr.max_prior_professional_gap_months < mr.prior_professional_gap_months
  ) {
    errors.push({
      path: 'body/rules/mentor_requirements/max_prior_professional_gap_months',
      message: 'must be at least prior_professional_gap_months'
    })
  }
  if (errors.length > 0) throw new AppError('validation_failed', 'The programme rules are inconsistent', { errors })
  return rules
}
