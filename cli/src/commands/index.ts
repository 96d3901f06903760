import type { Command } from "../command.js";
import { doctor } from "./doctor.js";
import { history } from "./history.js";
import { local } from "./local.js";
import { restore } from "./restore.js";
import { status } from "./status.js";
import { trigger } from "./trigger.js";
import { verify } from "./verify.js";

/** Every subcommand, in the order the usage lists them. Each lives in its own file. */
export const COMMANDS: Command[] = [trigger, status, history, verify, restore, doctor, local];
