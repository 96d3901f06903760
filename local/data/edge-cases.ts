import { FieldValue, GeoPoint, Timestamp } from "@google-cloud/firestore";
import type { PlannedDoc, RefOf } from "./records.js";

/** Collection holding the values that real data rarely has but an export must carry unchanged. */
export const EDGE_CASES = "edgeCases";

/** Id of a document with spaces, non-ASCII letters and an emoji. */
export const ODD_DOCUMENT_ID = "id with spaces & ünïcödé 🚀";

/** Path of a document whose parent document does not exist (only its subcollection does). */
export const ORPHAN_PATH = `${EDGE_CASES}/missing-parent/children/orphan`;

// Firestore allows maps and arrays nested 20 levels deep; stay one below to leave room for the field itself.
const MAX_NESTING = 19;

/** The edge-case documents; the same on every run (no seed). */
export function planEdgeCases(ref: RefOf): PlannedDoc[] {
  const doc = (id: string, data: PlannedDoc["data"]): PlannedDoc => ({ path: `${EDGE_CASES}/${id}`, data });
  const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  return [
    doc("numbers", {
      nan: Number.NaN,
      infinity: Number.POSITIVE_INFINITY,
      negativeInfinity: Number.NEGATIVE_INFINITY,
      negativeZero: -0,
      zero: 0,
      maxSafeInteger: Number.MAX_SAFE_INTEGER,
      minSafeInteger: Number.MIN_SAFE_INTEGER,
      // Read back as an exact bigint only by a client with useBigInt; others get the nearest double.
      int64Max: 9223372036854775807n,
      int64Min: -9223372036854775808n,
      smallestDouble: Number.MIN_VALUE,
      largestDouble: Number.MAX_VALUE,
      epsilon: Number.EPSILON,
      oneThird: 1 / 3,
    }),
    doc("strings", {
      empty: "",
      unicode: "Ünïcødé — 日本語 — العربية — עברית — हिन्दी",
      emoji: "🚀👩‍💻🏳️‍🌈",
      combining: "e\u0301 vs \u00e9",
      zeroWidth: "a\u200bb\u200dc\ufeff",
      whitespace: " \t\r\n ",
      quotes: `'"\`\\`,
      json: '{"not":"a map"}',
      long: "The quick brown fox jumps over the lazy dog. ".repeat(1500),
    }),
    doc("field-names", {
      "with.dot": 1,
      "with space": 2,
      "with`backtick": 3,
      "slash/in/name": 4,
      ünïcødé: 5,
      "🚀": 6,
      "123": 7,
      $dollar: 8,
      "a-b": 9,
      "nested.map": { "inner.key": { "x y": true } },
    }),
    doc("nesting", {
      deep: nestedMap(MAX_NESTING),
      deepArray: nestedArrays(MAX_NESTING),
      emptyMap: {},
      emptyArray: [],
      arrayOfMaps: [{ a: [1, 2, { b: [3, { c: "d" }] }] }, { a: [] }, {}],
      duplicates: [1, 1, "1", true, true],
      mixedArray: [
        null,
        true,
        42,
        2.5,
        "text",
        Buffer.from("bytes"),
        new Timestamp(1_700_000_000, 123_456_000),
        new GeoPoint(51.4779, -0.0015),
        ref("countries/GBR"),
        { map: { in: ["an", "array"] } },
      ],
    }),
    doc("timestamps", {
      epoch: new Timestamp(0, 0),
      beforeEpoch: new Timestamp(-1, 500_000_000),
      min: new Timestamp(-62_135_596_800, 0),
      max: new Timestamp(253_402_300_799, 999_999_000),
      microseconds: new Timestamp(1_700_000_000, 123_456_000),
      fromDate: new Date(Date.UTC(2000, 1, 29, 12, 0, 0, 1)),
    }),
    doc("geo-points", {
      northEast: new GeoPoint(90, 180),
      southWest: new GeoPoint(-90, -180),
      nullIsland: new GeoPoint(0, 0),
      precise: new GeoPoint(-33.856784123456, 151.215297123456),
    }),
    doc("bytes", {
      empty: Buffer.alloc(0),
      zero: Buffer.from([0]),
      allByteValues: allBytes,
      invalidUtf8: Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
      oneKiB: Buffer.concat([allBytes, allBytes, allBytes, allBytes]),
    }),
    doc("references", {
      toMissingDocument: ref("countries/ZZZ"),
      toOddId: ref(`${EDGE_CASES}/${ODD_DOCUMENT_ID}`),
      toOrphan: ref(ORPHAN_PATH),
      list: [ref("countries/FRA"), ref("airports/LFPG"), ref("countries/FRA")],
    }),
    doc("vectors", {
      one: FieldValue.vector([0.5]),
      wide: FieldValue.vector(Array.from({ length: 256 }, (_, i) => Math.sin(i) / 2)),
    }),
    // Close to Firestore's 1 MiB document limit, so exports and imports meet a large entity.
    doc("large", { blob: Buffer.alloc(900 * 1024, 0xab) }),
    doc("empty", {}),
    doc(ODD_DOCUMENT_ID, { note: "document id with spaces, non-ASCII letters and an emoji" }),
    { path: ORPHAN_PATH, data: { note: "its parent document edgeCases/missing-parent is never written" } },
  ];
}

function nestedMap(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: depth };
  for (let level = depth - 1; level > 0; level--) value = { [`level${level}`]: value };
  return value;
}

// Arrays cannot hold arrays directly, so each level is an array holding a map.
function nestedArrays(depth: number): unknown[] {
  let value: unknown[] = ["leaf"];
  for (let level = 1; level < Math.floor(depth / 2); level++) value = [{ level, items: value }];
  return value;
}
