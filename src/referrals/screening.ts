import type { ProgrammeRules } from '../schemas/programmes.js'
import type { CreateReferral } from '../schemas/referrals.js'
import type { Reason } from '../errors/catalogue.js'
import { ageOn } from '../lib/dates.js'
import { postcodeArea, postcodeDistrict } from '../lib/postcodes.js'

export interface ScreeningResult {
  refusals: Reason[]
  reviews: Reason[]
  age: number
}

type ReferralContent = Pick<CreateReferral, 'young_person' | 'referrer' | 'needs' | 'risks' | 'consent'>

const LEVELS = ['low', 'medium', 'high', 'complex'] as const
const RISK_LABELS: Record<keyof CreateReferral['risks'], string> = {
  cin_plan: 'a Child in Need plan',
  child_protection_plan: 'a child protection plan',
  specialist_camhs_active: 'active specialist CAMHS involvement',
  history_of_violence: 'a history of violent or aggressive behaviour'
}

/**
 * Screens a referral against its programme's rules. Hard rules refuse (every reason at once);
 * rules that need a coordinator's judgement mark it for review.
 */
export function screenReferral(r: ReferralContent, rules: ProgrammeRules, today: string): ScreeningResult {
  const refusals: Reason[] = []
  const reviews: Reason[] = []
  const yp = r.young_person
  const age = ageOn(yp.date_of_birth, today)

  if (r.referrer.is_parent_or_carer) {
    refusals.push({
      code: 'referrer_not_professional',
      message: 'Referrals must come from a professional working with the young person, not a parent or carer'
    })
  }
  if (!r.consent.young_person.given) {
    refusals.push({
      code: 'young_person_consent_missing',
      message: 'The young person must understand mentoring and agree before the referral is made'
    })
  }
  const parental = rules.consent.parental
  const parentalNeeded = parental === 'always' || (typeof parental === 'object' && age < parental.under_age)
  if (parentalNeeded && r.consent.parental?.given !== true) {
    const why =
      parental === 'always'
        ? 'this programme always requires it'
        : `the young person is under ${(parental as { under_age: number }).under_age}`
    refusals.push({ code: 'parental_consent_missing', message: `Parental consent is required: ${why}` })
  }

  const el = rules.eligibility
  const extended =
    el.extended_max_age !== undefined &&
    ((el.extended_if.includes('care_leaver') && yp.care_status === 'care_leaver') ||
      (el.extended_if.includes('ldd') && yp.has_ldd === true))
  const maxAge = extended ? Math.max(el.max_age, el.extended_max_age as number) : el.max_age
  if (age < el.min_age || age > maxAge) {
    refusals.push({
      code: 'age_out_of_range',
      message: `The young person is ${age}; this programme takes ${el.min_age} to ${maxAge}`
    })
  }
  if (el.school_years !== undefined) {
    if (yp.school_year === undefined) {
      refusals.push({
        code: 'school_year_missing',
        message: `This programme takes school years ${el.school_years.join(', ')}; school_year is required`
      })
    } else if (!el.school_years.includes(yp.school_year)) {
      refusals.push({
        code: 'school_year_not_eligible',
        message: `Year ${yp.school_year} is outside this programme's years ${el.school_years.join(', ')}`
      })
    }
  }
  if (el.care_statuses !== undefined && !el.care_statuses.includes(yp.care_status)) {
    refusals.push({
      code: 'care_status_not_eligible',
      message: `This programme is for young people who are ${el.care_statuses.join(' or ').replace(/_/g, ' ')}`
    })
  }
  if (el.education_setting_required && yp.education_setting === undefined) {
    refusals.push({
      code: 'education_setting_missing',
      message: 'This programme requires the young person to be on roll at an education setting'
    })
  }
  if (el.postcode_areas !== undefined) {
    const area = postcodeArea(yp.postcode)
    const district = postcodeDistrict(yp.postcode)
    if (!el.postcode_areas.includes(area) && !el.postcode_areas.includes(district)) {
      refusals.push({
        code: 'outside_area',
        message: `The postcode is outside the areas this programme serves (${el.postcode_areas.join(', ')})`
      })
    }
  }

  const ex = rules.exclusions
  for (const risk of Object.keys(RISK_LABELS) as Array<keyof typeof RISK_LABELS>) {
    if (r.risks[risk] !== true) continue
    const rule = ex[risk]
    if (rule === 'refuse') {
      refusals.push({
        code: `risk_excluded_${risk}`,
        message: `This programme cannot take a young person with ${RISK_LABELS[risk]}`
      })
    } else if (rule === 'review') {
      reviews.push({
        code: `risk_review_${risk}`,
        message: `${RISK_LABELS[risk][0].toUpperCase()}${RISK_LABELS[risk].slice(1)} needs a coordinator's judgement`
      })
    }
  }
  if (LEVELS.indexOf(r.needs.level) > LEVELS.indexOf(ex.max_needs_level)) {
    refusals.push({
      code: 'needs_too_complex',
      message: `Needs at level ${r.needs.level} are beyond this programme (up to ${ex.max_needs_level}); mentoring suits low to mid level needs`
    })
  }
  return { refusals, reviews, age }
}
