// The typed public API: the same verbs as the CLI.
export { UserError } from './errors.js';
export { VERSION } from './version.js';
export type * from './io/types.js';
export type * from './models/types.js';
