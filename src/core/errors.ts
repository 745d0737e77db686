/** Exit codes shared by every command: 0 clean, 1 findings or failed gate, 2 usage or input error. */
export const ExitCode = { Clean: 0, Findings: 1, Usage: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error the user can fix (bad flag, malformed config, missing repo...).
 * The CLI prints its message as one line and exits 2, never a stack trace.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = ExitCode.Usage) {
    super(message);
    this.name = "UserError";
    this.exitCode = exitCode;
  }
}

/** Raised when a gate fails in library code that is not allowed to exit the process itself. */
export class GateFailure extends Error {
  readonly exitCode = ExitCode.Findings;
  constructor(message: string) {
    super(message);
    this.name = "GateFailure";
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
