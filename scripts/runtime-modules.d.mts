/** The packages the production bundle loads from node_modules at run time (see runtime-modules.mjs). */
export declare const EXTERNAL: string[]
/** The folders of the packages and every dependency they resolve, as Node would find them from `root`. */
export declare function closure(root: string, names: string[]): string[]
