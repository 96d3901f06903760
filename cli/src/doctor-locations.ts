/**
 * Is a bucket's location one that Firestore exports of a database in that location may write to?
 * The rule implemented (a conservative reading of the Firestore export documentation):
 *
 * - a multi-region database needs the bucket in the matching Cloud Storage multi-region:
 *   nam5 and nam7 → US, eur3 → EU;
 * - a regional database needs the bucket in the same region, or in the multi-region that contains
 *   that region (us-* → US, EU member-state regions → EU, asia-* → ASIA);
 * - dual-regions (NAM4, EUR4, …) and anything else are refused, and so is an unknown database
 *   location (so that doctor says "check by hand" rather than "ok").
 */

const MULTI_REGION_DATABASES: Record<string, string> = { nam5: "US", nam7: "US", eur3: "EU" };

// Regions inside the EU multi-region (member states of the European Union only: not London or Zurich).
const EU_REGIONS = new Set([
  "europe-central2",
  "europe-north1",
  "europe-north2",
  "europe-southwest1",
  "europe-west1",
  "europe-west3",
  "europe-west4",
  "europe-west8",
  "europe-west9",
  "europe-west10",
  "europe-west12",
]);

/** The Cloud Storage multi-region that contains a region, if any. */
export function multiRegionOf(region: string): string | undefined {
  const r = region.toLowerCase();
  if (r.startsWith("us-")) return "US";
  if (EU_REGIONS.has(r)) return "EU";
  if (r.startsWith("asia-")) return "ASIA";
  return undefined;
}

export interface LocationVerdict {
  compatible: boolean;
  /** Bucket locations that would be compatible (upper case, as Cloud Storage reports them). */
  allowed: string[];
  /** Set when the database location is not one this rule knows. */
  unknown?: boolean;
}

/** Compares a database `locationId` with a bucket `location` (case-insensitive). */
export function bucketLocationVerdict(databaseLocation: string, bucketLocation: string): LocationVerdict {
  const db = databaseLocation.toLowerCase();
  const bucket = bucketLocation.toUpperCase();
  const multi = MULTI_REGION_DATABASES[db];
  if (multi) return { compatible: bucket === multi, allowed: [multi] };
  if (!/^[a-z]+-[a-z]+\d+$/.test(db)) return { compatible: false, allowed: [], unknown: true };
  const allowed = [db.toUpperCase()];
  const container = multiRegionOf(db);
  if (container) allowed.push(container);
  return { compatible: allowed.includes(bucket), allowed };
}
