import type { Command } from "../command.js";

/** Every subcommand, in the order the usage lists them. Each lives in its own file. */
export const COMMANDS: Command[] = [];
