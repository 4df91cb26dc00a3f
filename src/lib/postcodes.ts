/** UK postcodes: normalised to upper case with one space before the inward code. */
export function normalisePostcode(raw: string): string {
  const compact = raw.replace(/\s+/g, '').toUpperCase()
  return `${compact.slice(0, -3)} ${compact.slice(-3)}`
}

/** The outward code, e.g. "BR1" of "BR1 3AB". */
export function postcodeDistrict(postcode: string): string {
  return normalisePostcode(postcode).split(' ')[0]
}

/** The letters of the area, e.g. "BR" of "BR1 3AB". */
export function postcodeArea(postcode: string): string {
  return (/^[A-Z]+/.exec(postcodeDistrict(postcode)) ?? [''])[0]
}

/** The sector, e.g. "BR1 3" of "BR1 3AB". */
export function postcodeSector(postcode: string): string {
  const p = normalisePostcode(postcode)
  return p.slice(0, p.length - 2)
}
