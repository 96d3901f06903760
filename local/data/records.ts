import { type DocumentData, type DocumentReference, GeoPoint } from "@google-cloud/firestore";
import type { AirportSource, CitySource, CountrySource, SourceData } from "./sources.js";

/** Turns a document path into a reference of the database being loaded. */
export type RefOf = (path: string) => DocumentReference;

/** One document to write. */
export interface PlannedDoc {
  path: string;
  data: DocumentData;
}

/** The real-world part of the data set, ready to write. */
export interface RealDataPlan {
  countries: PlannedDoc[];
  cities: PlannedDoc[];
  airports: PlannedDoc[];
  /** The most populous cities (always loaded, whatever the size): homes for generated users. */
  homeCities: CityWithCountry[];
  /** Ids of the airport documents, sorted. */
  airportIds: string[];
}

/** A city and the id of its country document, when the country is known. */
export interface CityWithCountry {
  city: CitySource;
  cca3: string | null;
}

/** How many of the largest cities generated users may live in; loaded in every size. */
export const HOME_CITY_POOL = 1000;

// OpenFlights names some countries differently from world-countries; names absent here and there
// (Netherlands Antilles, dissolved in 2010) stay without a country reference, which is real data too.
const AIRPORT_COUNTRY_ALIASES: Record<string, string> = {
  "Congo (Brazzaville)": "COG",
  "Congo (Kinshasa)": "COD",
  Turkey: "TUR",
  "West Bank": "PSE",
  Svalbard: "SJM",
  "Midway Islands": "UMI",
  "Johnston Atoll": "UMI",
  "Wake Island": "UMI",
};

/** Builds the countries, cities and airports documents; `cityLimit` keeps only the most populous cities. */
export function planRealData(sources: SourceData, cityLimit: number | "all", ref: RefOf): RealDataPlan {
  const cca3ByCca2 = new Map(sources.countries.map((c) => [c.cca2, c.cca3]));
  const cca3ByName = countryNameIndex(sources.countries);

  const byPopulation = [...sources.cities].sort(
    (a, b) => b.population - a.population || compareStrings(a.id, b.id),
  );
  const capitals = findCapitals(sources.countries, byPopulation);
  const capitalIds = new Set([...capitals.values()].map((c) => c.id));
  const selected =
    cityLimit === "all"
      ? byPopulation
      : byPopulation.filter((c, index) => index < cityLimit || capitalIds.has(c.id));

  const cityStats = new Map<string, { count: number; population: number }>();
  for (const city of sources.cities) {
    const stats = cityStats.get(city.countryCode) ?? { count: 0, population: 0 };
    stats.count += 1;
    stats.population += city.population;
    cityStats.set(city.countryCode, stats);
  }

  const countries = sources.countries.map((country) => ({
    path: `countries/${country.cca3}`,
    data: countryData(country, capitals.get(country.cca3) ?? null, cityStats.get(country.cca2), ref),
  }));

  const capitalByCca2 = new Map(
    sources.countries.flatMap((c) => {
      const capital = capitals.get(c.cca3);
      return capital ? [[c.cca2, capital] as const] : [];
    }),
  );
  const cities = selected.map((city) => ({
    path: `cities/${city.id}`,
    data: cityData(city, cca3ByCca2.get(city.countryCode) ?? null, capitalByCca2.get(city.countryCode), ref),
  }));

  const cityByNameAndCountry = new Map<string, CitySource>();
  for (const city of selected) {
    const key = `${normaliseName(city.name)}|${city.countryCode}`;
    if (!cityByNameAndCountry.has(key)) cityByNameAndCountry.set(key, city);
  }
  const cca2ByCca3 = new Map(sources.countries.map((c) => [c.cca3, c.cca2]));
  const airports = sources.airports.map((airport) => {
    const cca3 = cca3ByName.get(airport.country) ?? AIRPORT_COUNTRY_ALIASES[airport.country] ?? null;
    const cca2 = cca3 === null ? undefined : cca2ByCca3.get(cca3);
    const served =
      cca2 === undefined ? undefined : cityByNameAndCountry.get(`${normaliseName(airport.city)}|${cca2}`);
    return { path: `airports/${airport.icao}`, data: airportData(airport, cca3, served, ref) };
  });

  return {
    countries,
    cities,
    airports,
    homeCities: byPopulation
      .slice(0, HOME_CITY_POOL)
      .map((city) => ({ city, cca3: cca3ByCca2.get(city.countryCode) ?? null })),
    airportIds: airports.map((a) => a.path.slice("airports/".length)).sort(compareStrings),
  };
}

function countryData(
  country: CountrySource,
  capital: CitySource | null,
  stats: { count: number; population: number } | undefined,
  ref: RefOf,
): DocumentData {
  const [lat, lng] = country.latlng;
  return {
    name: country.name,
    cca2: country.cca2,
    ccn3: country.ccn3 || null,
    cca3: country.cca3,
    cioc: country.cioc || null,
    tld: country.tld,
    independent: country.independent,
    status: country.status,
    unMember: country.unMember,
    unRegionalGroup: country.unRegionalGroup || null,
    currencies: country.currencies,
    idd: country.idd,
    capital: country.capital,
    altSpellings: country.altSpellings,
    region: country.region,
    subregion: country.subregion || null,
    languages: country.languages,
    translations: country.translations,
    centroid: new GeoPoint(lat, lng),
    landlocked: country.landlocked,
    borders: country.borders,
    borderRefs: country.borders.map((cca3) => ref(`countries/${cca3}`)),
    area: country.area,
    flag: country.flag,
    demonyms: country.demonyms,
    capitalCity: capital ? ref(`cities/${capital.id}`) : null,
    capitalLocation: capital ? new GeoPoint(capital.latitude, capital.longitude) : null,
    cities: { count: stats?.count ?? 0, population: stats?.population ?? 0 },
  };
}

function cityData(
  city: CitySource,
  cca3: string | null,
  capital: CitySource | undefined,
  ref: RefOf,
): DocumentData {
  return {
    name: city.name,
    country: cca3 ? ref(`countries/${cca3}`) : null,
    countryCode: city.countryCode,
    alternateCountryCodes: city.altName ? city.altName.split(",") : [],
    featureCode: city.featureCode,
    adminCode: city.adminCode || null,
    municipality: city.muni || null,
    population: city.population,
    location: new GeoPoint(city.latitude, city.longitude),
    isCapital: capital?.id === city.id,
    distanceToCapitalKm: capital
      ? roundTo(haversineKm(city.latitude, city.longitude, capital.latitude, capital.longitude), 3)
      : null,
  };
}

function airportData(
  airport: AirportSource,
  cca3: string | null,
  served: CitySource | undefined,
  ref: RefOf,
): DocumentData {
  return {
    name: airport.name,
    city: airport.city,
    servedCity: served ? ref(`cities/${served.id}`) : null,
    countryName: airport.country,
    country: cca3 ? ref(`countries/${cca3}`) : null,
    iata: airport.iata,
    icao: airport.icao,
    location: new GeoPoint(airport.latitude, airport.longitude),
    latitude: airport.latitude,
    longitude: airport.longitude,
    elevationFt: airport.altitudeFt,
    elevationM: roundTo(airport.altitudeFt * 0.3048, 2),
    utcOffsetHours: airport.utcOffsetHours,
    dst: airport.dst,
    tz: airport.tz,
    openFlightsId: airport.openFlightsId,
    source: airport.source,
  };
}

/** The capital city of each country (by cca3), matched by GeoNames feature code and then by name. */
export function findCapitals(
  countries: CountrySource[],
  citiesByPopulation: CitySource[],
): Map<string, CitySource> {
  const byCountry = new Map<string, CitySource[]>();
  for (const city of citiesByPopulation) {
    const list = byCountry.get(city.countryCode);
    if (list) list.push(city);
    else byCountry.set(city.countryCode, [city]);
  }
  const capitals = new Map<string, CitySource>();
  for (const country of countries) {
    const candidates = byCountry.get(country.cca2) ?? [];
    const names = new Set(country.capital.map(normaliseName));
    const seats = candidates.filter((c) => c.featureCode === "PPLC");
    const capital =
      seats.find((c) => names.has(normaliseName(c.name))) ??
      (seats.length === 1 ? seats[0] : undefined) ??
      candidates.find((c) => names.has(normaliseName(c.name)));
    if (capital) capitals.set(country.cca3, capital);
  }
  return capitals;
}

function countryNameIndex(countries: CountrySource[]): Map<string, string> {
  const index = new Map<string, string>();
  for (const country of countries) {
    for (const name of [country.name.common, country.name.official, ...country.altSpellings]) {
      if (!index.has(name)) index.set(name, country.cca3);
    }
  }
  return index;
}

/** Great-circle distance in kilometres on a spherical Earth. */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(a)));
}

export function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

function normaliseName(name: string): string {
  return name.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().trim();
}

/** Code-unit order, independent of the machine's locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
