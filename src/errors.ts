/** An error the user can act on: printed as one line, exit code 2, no stack trace. */
export class UserError extends Error {
  readonly exitCode: number = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Exit status of a run that did what it was asked but judged the outcome unacceptable (verdict, filter's --max-removed). */
export const REFUSED_EXIT_CODE = 3;

/**
 * Inputs that are valid but whose outcome is refused (filter would remove more than --max-removed):
 * one line saying why and how to override, exit 3 like a failed verdict, nothing written.
 */
export class RefusedError extends UserError {
  override readonly exitCode: number = REFUSED_EXIT_CODE;
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}
