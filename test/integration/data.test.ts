import {
  DocumentReference,
  Firestore,
  GeoPoint,
  type QueryDocumentSnapshot,
  Timestamp,
  VectorValue,
} from "@google-cloud/firestore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DataSetSummary,
  describeValueTypes,
  EDGE_CASE_PATHS,
  loadDataSet,
  ODD_DOCUMENT_ID,
  ORPHAN_PATH,
  type ValueType,
} from "../../local/data/index.js";
import { type Emulator, startFirestoreEmulator } from "../../local/emulators.js";

const SEED = 4242;
// Collection groups the data set is documented to have; counted by the database, not by the loader.
const GROUPS = ["countries", "cities", "airports", "users", "orders", "items", "edgeCases", "children"];

function connect(emulator: Emulator, projectId: string): Firestore {
  return new Firestore({
    projectId,
    host: "127.0.0.1",
    port: emulator.port,
    ssl: false,
    // The emulator treats this token as an administrator, as the Admin SDK would be.
    customHeaders: { Authorization: "Bearer owner" },
    // Without a universe domain, google-gax asks Application Default Credentials for one, which
    // probes the GCE metadata server over the network; the emulator needs no credentials at all.
    clientOptions: { universeDomain: "googleapis.com" },
  });
}

async function countGroups(db: Firestore): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const group of GROUPS) {
    const snapshot = await db.collectionGroup(group).count().get();
    counts[group] = snapshot.data().count;
  }
  return counts;
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;

// What each value type looks like once read back through @google-cloud/firestore.
const READ_BACK_AS: Record<ValueType, (v: unknown) => boolean> = {
  string: (v) => typeof v === "string" && v.length > 0,
  integer: (v) => Number.isInteger(v),
  double: (v) => typeof v === "number" && Number.isFinite(v) && !Number.isInteger(v),
  boolean: (v) => typeof v === "boolean",
  null: (v) => v === null,
  timestamp: (v) => v instanceof Timestamp,
  geoPoint: (v) => v instanceof GeoPoint,
  reference: (v) => v instanceof DocumentReference,
  bytes: (v) => Buffer.isBuffer(v) && v.length > 0,
  array: (v) => Array.isArray(v) && v.length > 0,
  map: (v) => isMap(v) && Object.keys(v).length > 0,
  vector: (v) => v instanceof VectorValue && v.toArray().length > 0,
  mapInMap: (v) => isMap(v) && Object.values(v).some(isMap),
  arrayOfMaps: (v) => Array.isArray(v) && v.length > 0 && v.every(isMap),
  arrayInMap: (v) => Array.isArray(v) && v.length > 0,
};

/** A database-independent form of a value, so documents of two projects can be compared. */
function plain(value: unknown): unknown {
  if (value instanceof DocumentReference) return { ref: value.path };
  if (value instanceof Timestamp) return { ts: [value.seconds, value.nanoseconds] };
  if (value instanceof GeoPoint) return { geo: [value.latitude, value.longitude] };
  if (value instanceof VectorValue) return { vector: value.toArray() };
  if (Buffer.isBuffer(value)) return { bytes: value.toString("base64") };
  if (Array.isArray(value)) return value.map(plain);
  if (isMap(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

const plainDocs = (docs: QueryDocumentSnapshot[]) =>
  docs.map((d) => ({ path: d.ref.path, data: plain(d.data()) }));

describe("real data set on the Firestore emulator", () => {
  let emulator: Emulator;
  let db: Firestore;
  let summary: DataSetSummary;

  beforeAll(async () => {
    emulator = await startFirestoreEmulator();
    db = connect(emulator, "demo-data");
    summary = await loadDataSet(db, { size: "default", seed: SEED });
  });

  afterAll(async () => {
    await db?.terminate();
    await emulator?.stop();
  });

  it("holds at least 10,000 documents, as counted by the database", async () => {
    const counts = await countGroups(db);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(10_000);
    expect(counts).toEqual(summary.byCollection);
    expect(total).toBe(summary.documents);
    expect(counts.countries).toBe(250);
    expect(counts.airports).toBeGreaterThan(7000);
    expect(counts.cities).toBeGreaterThanOrEqual(3000);
    expect(counts.users).toBe(300);
  });

  it("holds every value type, read back with its runtime type", async () => {
    const locations = describeValueTypes(SEED);
    expect(new Set(locations.map((l) => l.type))).toEqual(new Set(Object.keys(READ_BACK_AS)));
    for (const { type, path, field, collectionGroup } of locations) {
      const snapshot = await db.doc(path).get();
      expect(snapshot.exists, path).toBe(true);
      expect(snapshot.ref.parent.id).toBe(collectionGroup);
      const value = snapshot.get(field);
      expect(READ_BACK_AS[type](value), `${type} at ${path} ${field}: ${String(value)}`).toBe(true);
    }
  });

  it("links real documents with references that resolve", async () => {
    const paris = await db.doc("cities/2988507").get();
    expect(paris.get("name")).toBe("Paris");
    const france = await (paris.get("country") as DocumentReference).get();
    expect(france.get("name.common")).toBe("France");
    const capital = await (france.get("capitalCity") as DocumentReference).get();
    expect(capital.id).toBe("2988507");
    const cdg = await db.doc("airports/LFPG").get();
    expect((cdg.get("servedCity") as DocumentReference).path).toBe("cities/2988507");
    expect(cdg.get("location")).toEqual(new GeoPoint(cdg.get("latitude"), cdg.get("longitude")));
  });

  it("carries the edge cases an export must keep", async () => {
    for (const path of EDGE_CASE_PATHS) expect((await db.doc(path).get()).exists, path).toBe(true);
    const numbers = await db.doc("edgeCases/numbers").get();
    expect(numbers.get("nan")).toBeNaN();
    expect(numbers.get("infinity")).toBe(Number.POSITIVE_INFINITY);
    expect(Object.is(numbers.get("negativeZero"), -0)).toBe(true);
    const timestamps = await db.doc("edgeCases/timestamps").get();
    expect(timestamps.get("min")).toEqual(new Timestamp(-62_135_596_800, 0));
    expect(timestamps.get("max")).toEqual(new Timestamp(253_402_300_799, 999_999_000));
    const bytes = await db.doc("edgeCases/bytes").get();
    expect((bytes.get("empty") as Buffer).length).toBe(0);
    expect((bytes.get("allByteValues") as Buffer).length).toBe(256);
    const nesting = await db.doc("edgeCases/nesting").get();
    expect(nesting.get("deep.level1.level2.level3")).toBeDefined();
    expect(nesting.get("emptyMap")).toEqual({});
    const names = await db.doc("edgeCases/field-names").get();
    expect(names.data()?.["with.dot"]).toBe(1);
    expect((await db.doc(`edgeCases/${ODD_DOCUMENT_ID}`).get()).exists).toBe(true);
    // The orphan's parent was never written: it must be found through its subcollection only.
    expect((await db.doc(ORPHAN_PATH).get()).exists).toBe(true);
    expect((await db.doc(ORPHAN_PATH).parent.parent?.get())?.exists).toBe(false);
  });

  it("is the same data set for the same seed", async () => {
    const again = connect(emulator, "demo-data-again");
    try {
      const second = await loadDataSet(again, { size: "default", seed: SEED });
      expect(second.byCollection).toEqual(summary.byCollection);
      const sample = async (store: Firestore) => {
        const users = await store.collection("users").orderBy("__name__").limit(25).get();
        const orders = await store.collectionGroup("orders").orderBy("__name__").limit(25).get();
        const items = await store.collectionGroup("items").orderBy("__name__").limit(25).get();
        const cities = await store.collection("cities").orderBy("population", "desc").limit(10).get();
        return plainDocs([...users.docs, ...orders.docs, ...items.docs, ...cities.docs]);
      };
      const [first, repeat] = [await sample(db), await sample(again)];
      expect(first).toHaveLength(85);
      expect(repeat).toEqual(first);
    } finally {
      await again.terminate();
    }
    // Another seed gives other users (the real data does not depend on the seed).
    const otherPaths = describeValueTypes(SEED + 1).map((l) => l.path);
    const paths = describeValueTypes(SEED).map((l) => l.path);
    expect(otherPaths.filter((p) => p.startsWith("users/"))).not.toEqual(
      paths.filter((p) => p.startsWith("users/")),
    );
    expect(otherPaths.filter((p) => !p.startsWith("users/"))).toEqual(
      paths.filter((p) => !p.startsWith("users/")),
    );
  });
});
