// Starts the Firestore and Pub/Sub emulators of the installed Google Cloud SDK by launching their jars
// with java directly: `gcloud emulators ...` adds a Python start-up and a wrapper process that does not
// forward signals, which makes both start-up and clean shutdown slower and less reliable.

import { execFile, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { trackChild } from "./children.js";

const execFileAsync = promisify(execFile);

/** A running emulator process. */
export interface Emulator {
  /** `127.0.0.1:PORT`, the form FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST expect. */
  host: string;
  port: number;
  /** Kills the emulator and resolves once the process has exited. */
  stop(): Promise<void>;
}

/** Options shared by both emulators. */
export interface EmulatorOptions {
  /** Loopback port to listen on; a free one is picked when absent. */
  port?: number;
  /** Receives every line the emulator prints. */
  log?: (line: string) => void;
  /** How long to wait for the emulator to answer HTTP (default 60 s). */
  readyTimeoutMs?: number;
}

const JAVA_HINT =
  "Install Java 17 or newer (for example `sudo apt-get install openjdk-17-jre-headless`) and put `java` on PATH " +
  "or set JAVA_HOME.";
const SDK_HINT =
  "Install the Google Cloud SDK (https://cloud.google.com/sdk/docs/install) so that `gcloud` is on PATH, " +
  "or set CLOUDSDK_ROOT to its root folder.";

function componentHint(component: string, aptPackage: string): string {
  return (
    `Install the Google Cloud SDK component \`${component}\`: \`gcloud components install ${component}\` ` +
    `(or, where the SDK was installed with apt, \`sudo apt-get install ${aptPackage}\`).`
  );
}

/** A free loopback TCP port, found by binding port 0. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("could not find a free port"))));
    });
  });
}

let sdkRoot: Promise<string> | undefined;

async function findSdkRoot(): Promise<string> {
  sdkRoot ??= (async () => {
    try {
      const { stdout } = await execFileAsync("gcloud", ["info", "--format=value(installation.sdk_root)"], {
        timeout: 30_000,
      });
      const root = stdout.trim();
      if (root) return root;
    } catch {
      // Fall through to the environment: gcloud may be absent while the SDK folder exists.
    }
    const fromEnv = process.env.CLOUDSDK_ROOT;
    if (fromEnv) return fromEnv;
    throw new Error(`Cannot find the Google Cloud SDK. ${SDK_HINT}`);
  })();
  try {
    return await sdkRoot;
  } catch (error) {
    sdkRoot = undefined;
    throw error;
  }
}

let javaCommand: Promise<string> | undefined;

async function findJava(): Promise<string> {
  javaCommand ??= (async () => {
    const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, "bin", "java") : "java";
    let output: string;
    try {
      // `java -version` prints to stderr.
      const { stdout, stderr } = await execFileAsync(java, ["-version"], { timeout: 30_000 });
      output = `${stderr}${stdout}`;
    } catch {
      throw new Error(`Java was not found (tried \`${java}\`). ${JAVA_HINT}`);
    }
    const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
    const major = match ? (match[1] === "1" ? Number(match[2]) : Number(match[1])) : Number.NaN;
    if (!(major >= 17)) {
      throw new Error(
        `The emulators need Java 17 or newer, found: ${output.split("\n")[0]?.trim()}. ${JAVA_HINT}`,
      );
    }
    return java;
  })();
  try {
    return await javaCommand;
  } catch (error) {
    javaCommand = undefined;
    throw error;
  }
}

interface LaunchSpec {
  name: string;
  args: (port: number) => string[];
}

async function launch(spec: LaunchSpec, options: EmulatorOptions): Promise<Emulator> {
  const java = await findJava();
  const port = options.port ?? (await freePort());
  const host = `127.0.0.1:${port}`;
  const recent: string[] = [];
  const child = spawn(java, spec.args(port), { stdio: ["ignore", "pipe", "pipe"] });
  trackChild(child);

  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });
  for (const stream of [child.stdout, child.stderr]) {
    // Always read the pipes: a full pipe would block the emulator.
    createInterface({ input: stream }).on("line", (line) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      options.log?.(line);
    });
  }

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      const why = spawnError ? spawnError.message : `exited with ${child.exitCode ?? child.signalCode}`;
      throw new Error(`The ${spec.name} emulator on ${host} ${why}. Last output:\n${recent.join("\n")}`);
    }
    if (await answersHttp(host)) return { host, port, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `The ${spec.name} emulator on ${host} did not answer in time. Last output:\n${recent.join("\n")}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function answersHttp(host: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts the Cloud Firestore emulator (native mode, in memory) on a loopback port. */
export async function startFirestoreEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const root = await findSdkRoot();
  const jar = path.join(root, "platform", "cloud-firestore-emulator", "cloud-firestore-emulator.jar");
  if (!existsSync(jar)) {
    throw new Error(
      `The Firestore emulator is not installed (no ${jar}). ${componentHint("cloud-firestore-emulator", "google-cloud-cli-firestore-emulator")}`,
    );
  }
  return launch(
    {
      name: "Firestore",
      args: (port) => [
        // The emulator only has English messages and misbehaves with some other default locales.
        "-Duser.language=en",
        "-cp",
        jar,
        "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
        "start",
        "--host=127.0.0.1",
        `--port=${port}`,
      ],
    },
    options,
  );
}

/** Starts the Cloud Pub/Sub emulator on a loopback port. */
export async function startPubsubEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const root = await findSdkRoot();
  const lib = path.join(root, "platform", "pubsub-emulator", "lib");
  const jars = existsSync(lib)
    ? readdirSync(lib)
        .filter((name) => /^cloud-pubsub-emulator-.*-all\.jar$/.test(name))
        .sort((a, b) => a.localeCompare(b, "en", { numeric: true }))
    : [];
  const jar = jars.at(-1);
  if (!jar) {
    throw new Error(
      `The Pub/Sub emulator is not installed (no cloud-pubsub-emulator-*-all.jar in ${lib}). ${componentHint("pubsub-emulator", "google-cloud-cli-pubsub-emulator")}`,
    );
  }
  // The jar's manifest names its main class; this is what the SDK's own launcher script runs.
  return launch(
    { name: "Pub/Sub", args: (port) => ["-jar", path.join(lib, jar), "--host=127.0.0.1", `--port=${port}`] },
    options,
  );
}
