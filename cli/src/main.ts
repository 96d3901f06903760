#!/usr/bin/env node
import { ConfigError } from "../../functions/src/errors.js";
/**
 * firestore-exporter: the operator's command line. It reads the same environment as the functions
 * (EXPORT_TARGETS, LEDGER_DATABASE, endpoints, …), so it works against the local stack and against
 * a real project (Application Default Credentials) alike.
 */
import type { Command } from "./command.js";
import { COMMANDS } from "./commands/index.js";
import { type CliContext, createContext, createOutput, EXIT, UsageError } from "./context.js";

const USAGE = (commands: Command[]) => `Usage: firestore-exporter COMMAND [options] [--json]

Commands:
${commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join("\n")}

Run 'firestore-exporter COMMAND --help' for a command's options and examples.
Exit codes: 0 ok, 1 failed, 2 bad usage or configuration.`;

export async function main(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const [name, ...rest] = argv;
  const json = rest.includes("--json");
  const args = rest.filter((a) => a !== "--json");
  const out = createOutput(json);
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${USAGE(COMMANDS)}\n`);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    out.error(
      `firestore-exporter: unknown command "${name}"; expected one of ${COMMANDS.map((c) => c.name).join(", ")}`,
    );
    return EXIT.usage;
  }
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`${command.help}\n`);
    return EXIT.ok;
  }
  try {
    const ctx = command.needsContext === false ? ({ env, out } as CliContext) : createContext(env, out);
    return await command.run(args, ctx);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UsageError) {
      out.error(
        `firestore-exporter ${name}: ${error.message}\nRun 'firestore-exporter ${name} --help' for usage.`,
      );
      return EXIT.usage;
    }
    out.error(`firestore-exporter ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.failed;
  }
}

// `firestore-exporter history | head` closes the pipe early: that is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
