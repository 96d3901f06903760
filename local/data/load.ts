import type { Firestore } from "@google-cloud/firestore";
import { planEdgeCases } from "./edge-cases.js";
import { generateUsers } from "./generate.js";
import { HOME_CITY_POOL, type PlannedDoc, planRealData, type RefOf } from "./records.js";
import { readSources, type SourceData } from "./sources.js";
import { DEFAULT_SEED } from "./value-types.js";

/** Which data set to load: "default" (≥ 10,000 documents) or "full" (> 100,000, for scale runs). */
export type DataSetSize = "default" | "full";

/** Options of loadDataSet. */
export interface LoadDataSetOptions {
  size: DataSetSize;
  /** Seed of the generated users, orders and items; the real data does not depend on it. */
  seed?: number;
  /** Called with the number of documents written so far, every PROGRESS_STEP documents and at the end. */
  onProgress?: (written: number) => void;
}

/** What was loaded, with documents per collection group id (the orders of every user count as "orders"). */
export interface DataSetSummary {
  documents: number;
  byCollection: Record<string, number>;
  ms: number;
}

/** How many cities (the most populous first) and generated users each size has. */
export const DATA_SET_SIZES: Record<DataSetSize, { cities: number | "all"; users: number }> = {
  default: { cities: 3000, users: 300 },
  full: { cities: "all", users: 2000 },
};

export const PROGRESS_STEP = 1000;
const MAX_IN_FLIGHT = 5000;

/** Every document of a data set, parents before children, built from the packages' data. */
export function planDataSet(
  size: DataSetSize,
  seed: number,
  ref: RefOf,
  sources: SourceData = readSources(),
): PlannedDoc[] {
  const shape = DATA_SET_SIZES[size];
  if (shape.cities !== "all" && shape.cities < HOME_CITY_POOL) {
    throw new Error(`a data set needs at least the ${HOME_CITY_POOL} largest cities: users live there`);
  }
  const real = planRealData(sources, shape.cities, ref);
  const users = generateUsers(
    { seed, homeCities: real.homeCities, airportIds: real.airportIds, ref },
    shape.users,
  );
  const docs = [
    ...real.countries,
    ...real.cities,
    ...real.airports,
    ...users.flatMap((u) => [u.user, ...u.orders, ...u.items]),
    ...planEdgeCases(ref),
  ];
  // A repeated path would be written twice and silently lower the count.
  const seen = new Set<string>();
  for (const doc of docs) {
    if (seen.has(doc.path)) throw new Error(`data set plans ${doc.path} twice (seed ${seed})`);
    seen.add(doc.path);
  }
  return docs;
}

/** The collection group id of a document path: the segment before the document id. */
export function collectionGroupOf(path: string): string {
  const segments = path.split("/");
  return segments[segments.length - 2] ?? "";
}

/** Writes the data set into `db` with a BulkWriter; rejects if any document could not be written. */
export async function loadDataSet(db: Firestore, opts: LoadDataSetOptions): Promise<DataSetSummary> {
  const started = performance.now();
  const docs = planDataSet(opts.size, opts.seed ?? DEFAULT_SEED, (path) => db.doc(path));

  // The default ramp-up (500 writes/s, +50 % every 5 minutes) protects production; an emulator
  // needs none, and with it the default set alone would take 20 seconds.
  const writer = db.bulkWriter({ throttling: false });
  const byCollection: Record<string, number> = {};
  const failures: string[] = [];
  for (const doc of docs) byCollection[collectionGroupOf(doc.path)] = 0;
  let written = 0;
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const settled: Promise<void>[] = [];
  for (const doc of docs) {
    // BulkWriter buffers whatever it is given; a bounded window keeps the full set from queueing
    // 170,000 serialised writes at once.
    if (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => (drained = resolve));
    inFlight += 1;
    const result = writer.set(db.doc(doc.path), doc.data).then(
      () => {
        written += 1;
        const group = collectionGroupOf(doc.path);
        byCollection[group] = (byCollection[group] ?? 0) + 1;
        if (written % PROGRESS_STEP === 0) opts.onProgress?.(written);
      },
      (error: unknown) => {
        failures.push(`${doc.path}: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
    settled.push(
      result.finally(() => {
        inFlight -= 1;
        if (inFlight <= MAX_IN_FLIGHT / 2) {
          drained?.();
          drained = undefined;
        }
      }),
    );
  }
  await writer.close();
  // close() waits for the writes; this also waits for the bookkeeping attached to each of them.
  await Promise.all(settled);
  if (failures.length > 0) {
    throw new Error(
      `data set: ${failures.length} of ${docs.length} documents were not written, first: ${failures.slice(0, 3).join("; ")}`,
    );
  }
  opts.onProgress?.(written);
  return { documents: written, byCollection, ms: Math.round(performance.now() - started) };
}
