declare const shape: unique symbol

/** A value's JSON text that remembers the value's type: what a jsonb column is written with. */
export type JsonText<T> = string & { readonly [shape]: T }

/** The JSON text of `value`, for a jsonb column of its type (see `Json` in types.ts). */
export const jsonOf = <T>(value: T): JsonText<T> => JSON.stringify(value) as JsonText<T>
