/**
 * Schema compilations (request validators, response serializers) put off until first use. Building
 * every route's is most of the time the API takes to build; the server compiles what is still
 * pending once it listens (`compileAll`), a compilation at a time between other work.
 */
export class PendingCompiles {
  private readonly pending = new Set<() => void>()

  /** Returns a function that compiles once, on its first call or by compileAll, and then returns the same result. */
  defer<T>(build: () => T): () => T {
    let built: { value: T } | undefined
    const compile = (): T => {
      if (built === undefined) {
        built = { value: build() }
        this.pending.delete(compile)
      }
      return built.value
    }
    this.pending.add(compile)
    return compile
  }

  /** Compiles everything still pending, yielding to the event loop between compilations; returns how many. */
  async compileAll(): Promise<number> {
    let n = 0
    for (const compile of [...this.pending]) {
      compile()
      n += 1
      await new Promise((resolve) => setImmediate(resolve))
    }
    return n
  }
}
