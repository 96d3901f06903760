import type { CliContext } from "./context.js";

/** One subcommand of the operator CLI. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The full --help text, with examples. */
  help: string;
  /** False for commands that need no configuration (e.g. `local`). */
  needsContext?: boolean;
  /** Returns the exit code (EXIT.ok, EXIT.failed, EXIT.usage). */
  run(args: string[], ctx: CliContext): Promise<number>;
}
