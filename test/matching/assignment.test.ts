import t from 'tap'
import {
  assignmentWeight,
  greedyAssignment,
  optimalAssignment,
  type AssignmentProblem
} from '../../src/matching/assignment.js'

/** A seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

function bruteForce(p: AssignmentProblem): number {
  let best = 0
  const left = [...p.capacities]
  const walk = (i: number, total: number): void => {
    if (i === p.rows) {
      if (total > best) best = total
      return
    }
    walk(i + 1, total)
    for (let j = 0; j < left.length; j += 1) {
      if (left[j] <= 0) continue
      const w = p.weight(i, j)
      if (w === null) continue
      left[j] -= 1
      walk(i + 1, total + w)
      left[j] += 1
    }
  }
  walk(0, 0)
  return best
}

function randomProblem(seed: number): AssignmentProblem {
  const r = rng(seed)
  const rows = 1 + Math.floor(r() * 6)
  const cols = 1 + Math.floor(r() * 4)
  const capacities = Array.from({ length: cols }, () => Math.floor(r() * 3))
  const w = Array.from({ length: rows }, () =>
    Array.from({ length: cols }, () => (r() < 0.25 ? null : Math.floor(r() * 10000)))
  )
  return { rows, capacities, weight: (i, j) => w[i][j] }
}

t.test('the plan total equals a brute-force optimum on random small instances', async (t) => {
  let greedyWorse = 0
  for (let seed = 1; seed <= 300; seed += 1) {
    const p = randomProblem(seed)
    const result = optimalAssignment(p)
    const exact = bruteForce(p)
    if (result.total !== exact) t.fail(`seed ${seed}: plan ${result.total}, optimum ${exact}`)
    if (assignmentWeight(p, result.assignment) !== result.total)
      t.fail(`seed ${seed}: reported total does not match the assignment`)
    if (!result.certified || result.bound !== exact)
      t.fail(`seed ${seed}: certificate ${String(result.certified)} bound ${result.bound}`)
    if (greedyAssignment(p).total < exact) greedyWorse += 1
  }
  t.ok(greedyWorse > 0, `greedy falls short on ${greedyWorse} instances, so the test can tell`)
})

t.test('forbidden pairs and full mentors are never used', async (t) => {
  const p: AssignmentProblem = {
    rows: 3,
    capacities: [1, 0, 2],
    weight: (i, j) => (i === 0 && j === 2 ? null : 100 * (j + 1) + i)
  }
  const result = optimalAssignment(p)
  t.not(result.assignment[0], 2)
  t.notOk(result.assignment.includes(1))
  t.equal(result.total, bruteForce(p))
})

t.test('no rows', async (t) => {
  t.same(optimalAssignment({ rows: 0, capacities: [1], weight: () => 1 }).assignment, [])
})
