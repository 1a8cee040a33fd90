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

/** At most `max` characters of `text` for a message, its middle cut out and counted (a huge input quoted whole is unreadable). */
export function excerpt(text: string, max = 200): string {
  if (text.length <= max) return text;
  const keep = Math.floor((max - 20) / 2);
  return `${text.slice(0, keep)}…[${text.length - 2 * keep} characters]…${text.slice(-keep)}`;
}

/** The longest error message printed: beyond it the middle is cut (a stage quoting a huge input stays readable). */
export const MAX_MESSAGE_CHARS = 2000;

/** The first `max` names of a list for a message, then how many more: `a, b, c and 199997 more`. */
export function listFew(names: readonly string[], max = 10): string {
  const shown = names.slice(0, max).map((n) => excerpt(n, 80)).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}
