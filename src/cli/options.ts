import { UserError } from "../core/errors.js";

/** A non-negative decimal integer from the command line, or a one-line usage error naming `what`. */
export function parseNonNegativeInt(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new UserError(`${what} must be a non-negative integer, got "${text}"`);
  return Number(text);
}

/** Commander option parser for a non-negative integer option such as `--port`. */
export const intOption =
  (name: string) =>
  (text: string): number =>
    parseNonNegativeInt(text, name);
