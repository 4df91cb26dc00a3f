/**
 * Maximum-weight assignment of rows (referrals) to columns with capacities (mentors), where a row may
 * stay unassigned and some pairs are forbidden.
 *
 * Reduced to a rectangular assignment problem: each column of capacity c becomes c identical slots,
 * and every row gets the option of a "no match" slot of weight 0. The Hungarian method (shortest
 * augmenting paths with potentials, O(n^2 m)) then finds an exact optimum. Weights are integers, so
 * the optimum is exact, not approximate, and the final potentials form a feasible solution of the
 * dual linear programme whose value equals the assignment's: a certificate of optimality, re-checked
 * over every pair after the search.
 */

export interface AssignmentProblem {
  rows: number
  /** Capacity of each column (free places of each mentor). */
  capacities: number[]
  /** Integer weight of assigning row i to column j (higher is better), or null when forbidden. */
  weight: (row: number, column: number) => number | null
}

export interface AssignmentResult {
  /** Column of each row, or -1 when the row stays unassigned. */
  assignment: number[]
  total: number
  /** The dual bound: no assignment can weigh more. Equal to `total` when the certificate holds. */
  bound: number
  /** The potentials were checked to be dual feasible, so `bound` is proven and `total` optimal. */
  certified: boolean
}

const FORBIDDEN = 1e12

export function optimalAssignment(p: AssignmentProblem): AssignmentResult {
  const n = p.rows
  if (n === 0) return { assignment: [], total: 0, bound: 0, certified: true }
  // Slots: real columns expanded by capacity (never more than n each), then n "unassigned" slots.
  const slotColumn: number[] = []
  for (let j = 0; j < p.capacities.length; j += 1) {
    const c = Math.min(Math.max(0, p.capacities[j]), n)
    for (let k = 0; k < c; k += 1) slotColumn.push(j)
  }
  const real = slotColumn.length
  const m = real + n
  // Costs (to minimise) = -weight, laid out row-major with a 1-based column index as in the method.
  const cost = new Float64Array(n * (m + 1))
  const rowWeights = new Float64Array(p.capacities.length)
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j < p.capacities.length; j += 1) {
      const w = p.capacities[j] > 0 ? p.weight(i, j) : null
      rowWeights[j] = w === null ? FORBIDDEN : -w
    }
    const base = i * (m + 1)
    for (let s = 0; s < real; s += 1) cost[base + s + 1] = rowWeights[slotColumn[s]]
    // Unassigned slots cost 0 (already zero-filled).
  }

  const u = new Float64Array(n + 1)
  const v = new Float64Array(m + 1)
  const match = new Int32Array(m + 1) // row (1-based) holding each slot, 0 when free
  const way = new Int32Array(m + 1)
  const minv = new Float64Array(m + 1)
  const used = new Uint8Array(m + 1)
  for (let i = 1; i <= n; i += 1) {
    match[0] = i
    let j0 = 0
    minv.fill(Infinity)
    used.fill(0)
    do {
      used[j0] = 1
      const i0 = match[j0]
      const base = (i0 - 1) * (m + 1)
      const ui0 = u[i0]
      let delta = Infinity
      let j1 = 0
      for (let j = 1; j <= m; j += 1) {
        if (used[j] === 1) continue
        const cur = cost[base + j] - ui0 - v[j]
        if (cur < minv[j]) {
          minv[j] = cur
          way[j] = j0
        }
        if (minv[j] < delta) {
          delta = minv[j]
          j1 = j
        }
      }
      for (let j = 0; j <= m; j += 1) {
        if (used[j] === 1) {
          u[match[j]] += delta
          v[j] -= delta
        } else minv[j] -= delta
      }
      j0 = j1
    } while (match[j0] !== 0)
    do {
      const j1 = way[j0]
      match[j0] = match[j1]
      j0 = j1
    } while (j0 !== 0)
  }

  const assignment = new Array<number>(n).fill(-1)
  let totalCost = 0
  for (let s = 1; s <= m; s += 1) {
    const i = match[s]
    if (i === 0) continue
    totalCost += cost[(i - 1) * (m + 1) + s]
    if (s <= real) assignment[i - 1] = slotColumn[s - 1]
  }
  let dual = 0
  for (let i = 1; i <= n; i += 1) dual += u[i]
  for (let j = 1; j <= m; j += 1) dual += v[j]
  // Dual feasibility: every reduced cost non-negative and no slot potential positive (slots are
  // optional). With it, weak duality proves no assignment beats -dual.
  let certified = true
  const eps = 1e-6
  for (let j = 1; j <= m && certified; j += 1) if (v[j] > eps) certified = false
  for (let i = 1; i <= n && certified; i += 1) {
    const base = (i - 1) * (m + 1)
    for (let j = 1; j <= m; j += 1) {
      if (cost[base + j] - u[i] - v[j] < -eps) {
        certified = false
        break
      }
    }
  }
  return { assignment, total: -totalCost, bound: -dual, certified: certified && Math.abs(dual - totalCost) < eps }
}

/** Total weight of an assignment, refusing one that breaks a capacity or uses a forbidden pair. */
export function assignmentWeight(p: AssignmentProblem, assignment: number[]): number {
  const used = new Array<number>(p.capacities.length).fill(0)
  let total = 0
  assignment.forEach((j, i) => {
    if (j < 0) return
    used[j] += 1
    if (used[j] > p.capacities[j]) throw new Error(`column ${j} over capacity`)
    const w = p.weight(i, j)
    if (w === null) throw new Error(`forbidden pair ${i}-${j}`)
    total += w
  })
  return total
}

/**
 * An upper bound on any assignment's weight from the linear-programme relaxation, computed from
 * scratch: each row at most its best weight, each column at most its capacity's best rows. The
 * plan's optimality does not rest on it (the dual certificate does); it gives a cheap sanity bar.
 */
export function simpleUpperBound(p: AssignmentProblem): number {
  let rowsBound = 0
  for (let i = 0; i < p.rows; i += 1) {
    let best = 0
    for (let j = 0; j < p.capacities.length; j += 1) {
      if (p.capacities[j] <= 0) continue
      const w = p.weight(i, j)
      if (w !== null && w > best) best = w
    }
    rowsBound += best
  }
  return rowsBound
}

/** A greedy baseline (best pairs first): what a coordinator would get one referral at a time. */
export function greedyAssignment(p: AssignmentProblem): AssignmentResult {
  const pairs: Array<[number, number, number]> = []
  for (let i = 0; i < p.rows; i += 1) {
    for (let j = 0; j < p.capacities.length; j += 1) {
      if (p.capacities[j] <= 0) continue
      const w = p.weight(i, j)
      if (w !== null && w > 0) pairs.push([w, i, j])
    }
  }
  pairs.sort((a, b) => b[0] - a[0])
  const left = [...p.capacities]
  const assignment = new Array<number>(p.rows).fill(-1)
  let total = 0
  for (const [w, i, j] of pairs) {
    if (assignment[i] !== -1 || left[j] <= 0) continue
    assignment[i] = j
    left[j] -= 1
    total += w
  }
  return { assignment, total, bound: Infinity, certified: false }
}
