import { EDGE_CASES } from "./edge-cases.js";
import { itemId, orderCountOf, orderId, userId } from "./generate.js";

/** The Firestore value types, plus the nestings an exporter has to carry through. */
export type ValueType =
  | "string"
  | "integer"
  | "double"
  | "boolean"
  | "null"
  | "timestamp"
  | "geoPoint"
  | "reference"
  | "bytes"
  | "array"
  | "map"
  | "vector"
  | "mapInMap"
  | "arrayOfMaps"
  | "arrayInMap";

/** Where one value type can be read back: a document that has it in every size, and the field's path. */
export interface ValueTypeLocation {
  type: ValueType;
  /** The collection id of the document's collection (a collection group for subcollections). */
  collectionGroup: string;
  path: string;
  /** Dotted field path, as accepted by DocumentSnapshot.get(). */
  field: string;
}

/** The seed used when none is given. */
export const DEFAULT_SEED = 20250101;

// Real documents loaded in every size: France, Paris (GeoNames 2988507, the capital) and Paris-CDG.
const FRANCE = "countries/FRA";
const PARIS = "cities/2988507";
const CDG = "airports/LFPG";

/** One document path and field for each value type, for the data set loaded with `seed`. */
export function describeValueTypes(seed: number = DEFAULT_SEED): ValueTypeLocation[] {
  const { user, order, item } = firstUserWithOrders(seed);
  const at = (type: ValueType, path: string, field: string): ValueTypeLocation => {
    const segments = path.split("/");
    return { type, collectionGroup: segments[segments.length - 2] ?? "", path, field };
  };
  return [
    at("string", FRANCE, "cca2"),
    at("integer", PARIS, "population"),
    at("double", CDG, "latitude"),
    at("boolean", FRANCE, "landlocked"),
    at("null", user, "deletedAt"),
    at("timestamp", order, "placedAt"),
    at("geoPoint", PARIS, "location"),
    at("reference", PARIS, "country"),
    at("bytes", user, "avatar"),
    at("array", item, "dimensionsCm"),
    at("map", FRANCE, "currencies"),
    at("vector", user, "embedding"),
    at("mapInMap", FRANCE, "name.native"),
    at("arrayOfMaps", user, "loginHistory"),
    at("arrayInMap", user, "preferences.notifications.quietHours"),
  ];
}

/** Paths of edge-case documents (NaN and infinities, 64-bit integers, extreme timestamps, deep nesting…). */
export const EDGE_CASE_PATHS = [
  "numbers",
  "strings",
  "field-names",
  "nesting",
  "timestamps",
  "geo-points",
  "bytes",
  "references",
  "vectors",
  "large",
  "empty",
].map((id) => `${EDGE_CASES}/${id}`);

function firstUserWithOrders(seed: number): { user: string; order: string; item: string } {
  for (let index = 0; ; index++) {
    if (orderCountOf(seed, index) === 0) continue;
    const user = `users/${userId(seed, index)}`;
    const order = `${user}/orders/${orderId(seed, index, 0)}`;
    return { user, order, item: `${order}/items/${itemId(seed, index, 0, 0)}` };
  }
}
