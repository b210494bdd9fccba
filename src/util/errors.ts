/**
 * An error whose message is meant for the user of the CLI: one line that names the problem
 * (a file, a key, a missing tensor). Commands print it without a stack trace unless
 * `--log-level debug` is given. Library code throws it for bad inputs; anything else that
 * escapes is treated as a bug and shown with its stack.
 */
export class UserError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserError';
  }
}

/**
 * Thrown by a library entry point whose capability belongs to a later issue.
 * The CLI turns it into a non-zero exit that names the missing capability.
 */
export class CapabilityMissingError extends UserError {
  constructor(readonly capability: string) {
    super(`${capability} is not available in this build of introspect yet`);
    this.name = 'CapabilityMissingError';
  }
}
