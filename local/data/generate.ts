import { createHash } from "node:crypto";
import { type DocumentData, FieldValue, GeoPoint, Timestamp } from "@google-cloud/firestore";
import { createRng, mixSeed, type Rng } from "./prng.js";
import { type CityWithCountry, type PlannedDoc, type RefOf, roundTo } from "./records.js";

/** What generated users are tied to: real cities to live in and real airports to ship from. */
export interface GenerateContext {
  seed: number;
  homeCities: readonly CityWithCountry[];
  airportIds: readonly string[];
  ref: RefOf;
}

/** A user and everything under it, in write order (parents first). */
export interface GeneratedUser {
  user: PlannedDoc;
  orders: PlannedDoc[];
  items: PlannedDoc[];
}

// Generated timestamps lie before this instant, so the data set does not depend on the clock.
const DATA_EPOCH_SECONDS = Date.UTC(2025, 0, 1) / 1000;
const DAY = 86_400;

const FIRST_NAMES = [
  "Amara",
  "Bao",
  "Carmen",
  "Dmitri",
  "Elif",
  "Farah",
  "Giulia",
  "Hiro",
  "Ines",
  "Jonas",
  "Kwame",
  "Leila",
  "Mateo",
  "Nadia",
  "Olu",
  "Priya",
  "Quentin",
  "Rosa",
  "Sven",
  "Tariq",
  "Uma",
  "Vikram",
  "Wen",
  "Ximena",
  "Yusuf",
  "Zoë",
  "Łukasz",
  "Søren",
  "José",
  "Anaïs",
] as const;
const LAST_NAMES = [
  "Abe",
  "Banda",
  "Costa",
  "Dubois",
  "Eriksen",
  "Fernández",
  "García",
  "Haddad",
  "Ivanova",
  "Jensen",
  "Kowalski",
  "Liu",
  "Mensah",
  "Nakamura",
  "Okafor",
  "Petrović",
  "Quispe",
  "Rossi",
  "Schmidt",
  "Tanaka",
  "Üzüm",
  "Varga",
  "Wójcik",
  "Xu",
  "Yılmaz",
  "Zhang",
  "O'Brien",
  "van der Berg",
] as const;
const STREETS = [
  "High Street",
  "Rue de la Paix",
  "Hauptstraße",
  "Calle Mayor",
  "Main St",
  "Via Roma",
  "Nørregade",
];
const TAGS = [
  "early-adopter",
  "newsletter",
  "vip",
  "beta",
  "wholesale",
  "student",
  "referral",
  "support-ticket",
];
const ORDER_STATUSES = ["pending", "paid", "shipped", "delivered", "cancelled", "refunded"] as const;
type OrderStatus = (typeof ORDER_STATUSES)[number];
// The steps an order went through to reach its status, after "pending".
const STATUS_STEPS: Record<OrderStatus, OrderStatus[]> = {
  pending: [],
  paid: ["paid"],
  shipped: ["paid", "shipped"],
  delivered: ["paid", "shipped", "delivered"],
  cancelled: ["cancelled"],
  refunded: ["paid", "refunded"],
};
const CURRENCIES = ["EUR", "USD", "GBP", "JPY", "INR", "BRL", "CHF"] as const;
const SHIPPING_METHODS = ["standard", "express", "pickup", "freight"] as const;
const CARD_BRANDS = ["visa", "mastercard", "amex", "jcb"] as const;
const COLOURS = ["black", "white", "red", "blue", "green", "oak", null] as const;
const SIZES = ["XS", "S", "M", "L", "XL", null] as const;
const PRODUCTS = [
  { name: "Espresso beans 1 kg", category: "grocery" },
  { name: "Trail running shoes", category: "sport" },
  { name: "Mechanical keyboard", category: "electronics" },
  { name: "Linen shirt", category: "clothing" },
  { name: "Cast-iron pan 28 cm", category: "kitchen" },
  { name: "Paperback atlas", category: "books" },
  { name: "Wool socks (3 pairs)", category: "clothing" },
  { name: "USB-C charger 65 W", category: "electronics" },
  { name: "Ceramic mug", category: "kitchen" },
  { name: "Yoga mat", category: "sport" },
] as const;

/** Generates `count` users with their orders and order items; user i depends only on (seed, i). */
export function generateUsers(ctx: GenerateContext, count: number): GeneratedUser[] {
  const users: GeneratedUser[] = [];
  for (let index = 0; index < count; index++) users.push(generateUser(ctx, index));
  return users;
}

// Ids and counts come from streams of their own, so a document's path can be computed without
// generating its parents, and changing a field generator does not move any path.

/** The id of user `index`. */
export function userId(seed: number, userIndex: number): string {
  return createRng(mixSeed(seed, 1, userIndex)).id();
}

/** How many orders user `index` has (0 to 7). */
export function orderCountOf(seed: number, userIndex: number): number {
  return createRng(mixSeed(seed, 3, userIndex)).int(0, 7);
}

/** The id of order `orderIndex` of user `userIndex`. */
export function orderId(seed: number, userIndex: number, orderIndex: number): string {
  return createRng(mixSeed(seed, 2, userIndex, orderIndex)).id();
}

/** The id of item `itemIndex` of an order; every order has at least one item. */
export function itemId(seed: number, userIndex: number, orderIndex: number, itemIndex: number): string {
  return createRng(mixSeed(seed, 4, userIndex, orderIndex, itemIndex)).id();
}

export function generateUser(ctx: GenerateContext, index: number): GeneratedUser {
  const rng = createRng(mixSeed(ctx.seed, 5, index));
  const path = `users/${userId(ctx.seed, index)}`;
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const home = rng.pick(ctx.homeCities);
  const homeGeo = jitter(rng, home.city.latitude, home.city.longitude);
  const createdAt = DATA_EPOCH_SECONDS - rng.int(30, 5 * 365) * DAY - rng.int(0, DAY - 1);
  const createdTs = timestamp(rng, createdAt);
  const countryRef = home.cca3 ? ctx.ref(`countries/${home.cca3}`) : null;
  const orderCount = orderCountOf(ctx.seed, index);

  const orders: PlannedDoc[] = [];
  const items: PlannedDoc[] = [];
  let lifetimeValue = 0;
  for (let o = 0; o < orderCount; o++) {
    const order = generateOrder(ctx, path, index, o, createdAt, countryRef, home);
    lifetimeValue += order.total;
    orders.push(order.doc);
    items.push(...order.items);
  }

  const data: DocumentData = {
    displayName: `${first} ${last}`,
    email: `${asciiSlug(first)}.${asciiSlug(last)}.${index}@example.com`,
    age: rng.int(18, 90),
    rating: roundTo(1 + rng.next() * 4, 3),
    premium: rng.chance(0.2),
    createdAt: createdTs,
    lastLoginAt: rng.chance(0.85)
      ? timestamp(rng, createdAt + rng.int(0, DATA_EPOCH_SECONDS - createdAt))
      : null,
    deletedAt: null,
    homeCity: ctx.ref(`cities/${home.city.id}`),
    homeLocation: homeGeo,
    address: {
      line1: `${rng.int(1, 250)} ${rng.pick(STREETS)}`,
      line2: rng.chance(0.3) ? `Apt ${rng.int(1, 40)}` : null,
      city: home.city.name,
      postcode: String(rng.int(1000, 99999)),
      country: countryRef,
      geo: homeGeo,
    },
    preferences: {
      theme: rng.pick(["light", "dark", null]),
      newsletter: rng.chance(0.4),
      notifications: {
        email: rng.chance(0.7),
        sms: rng.chance(0.2),
        push: rng.chance(0.5),
        quietHours: [22, 7],
      },
    },
    tags: TAGS.filter(() => rng.chance(0.25)),
    favouriteAirports: Array.from({ length: rng.int(0, 3) }, () =>
      ctx.ref(`airports/${rng.pick(ctx.airportIds)}`),
    ),
    avatar: rng.bytes(rng.int(32, 96)),
    loginHistory: Array.from({ length: rng.int(1, 4) }, () => ({
      at: timestamp(rng, createdAt + rng.int(0, DATA_EPOCH_SECONDS - createdAt)),
      ip: `198.51.100.${rng.int(1, 254)}`,
      location: jitter(rng, home.city.latitude, home.city.longitude),
      trusted: rng.chance(0.8),
    })),
    embedding: FieldValue.vector(Array.from({ length: 8 }, () => roundTo(rng.next() * 2 - 1, 6))),
    stats: {
      orders: orderCount,
      lifetimeValue: roundTo(lifetimeValue, 2),
      itemsPerOrder: orders.map((o) => o.data.itemCount as number),
    },
  };
  return { user: { path, data }, orders, items };
}

function generateOrder(
  ctx: GenerateContext,
  userPath: string,
  userIndex: number,
  orderIndex: number,
  userCreatedAt: number,
  countryRef: ReturnType<RefOf> | null,
  home: CityWithCountry,
): { doc: PlannedDoc; items: PlannedDoc[]; total: number } {
  const rng = createRng(mixSeed(ctx.seed, 6, userIndex, orderIndex));
  const id = orderId(ctx.seed, userIndex, orderIndex);
  const path = `${userPath}/orders/${id}`;
  const placedAt = userCreatedAt + rng.int(0, DATA_EPOCH_SECONDS - userCreatedAt);
  const status = rng.pick(ORDER_STATUSES);
  const currency = rng.pick(CURRENCIES);

  const items: PlannedDoc[] = [];
  let subtotal = 0;
  const itemCount = rng.int(1, 4);
  for (let i = 0; i < itemCount; i++) {
    const product = rng.pick(PRODUCTS);
    const quantity = rng.int(1, 5);
    const unitPrice = rng.int(199, 25_000) / 100;
    const discountPercent = rng.chance(0.15) ? rng.pick([5, 10, 12.5, 20]) : null;
    const lineTotal = roundTo(unitPrice * quantity * (1 - (discountPercent ?? 0) / 100), 2);
    subtotal += lineTotal;
    items.push({
      path: `${path}/items/${itemId(ctx.seed, userIndex, orderIndex, i)}`,
      data: {
        position: i,
        sku: `SKU-${rng.int(10_000, 99_999)}`,
        name: product.name,
        category: product.category,
        quantity,
        unitPrice,
        lineTotal,
        discount:
          discountPercent === null ? null : { code: `SAVE${discountPercent}`, percent: discountPercent },
        attributes: { colour: rng.pick(COLOURS), size: rng.pick(SIZES) },
        dimensionsCm: [rng.int(50, 600) / 10, rng.int(50, 400) / 10, rng.int(10, 200) / 10],
        weightKg: rng.int(50, 20_000) / 1000,
        giftWrap: rng.chance(0.1),
      },
    });
  }
  subtotal = roundTo(subtotal, 2);
  const shippingCost = rng.pick([0, 4.99, 9.5, 14.99]);
  const tax = roundTo(subtotal * rng.pick([0, 0.07, 0.2, 0.19]), 2);
  const total = roundTo(subtotal + shippingCost + tax, 2);

  const placedTs = timestamp(rng, placedAt);
  const history: { status: string; at: Timestamp }[] = [{ status: "pending", at: placedTs }];
  let at = placedAt;
  for (const step of STATUS_STEPS[status]) {
    at += rng.int(60, 3 * DAY);
    history.push({ status: step, at: timestamp(rng, at) });
  }
  const paid = status !== "pending" && status !== "cancelled";
  const card = rng.chance(0.8)
    ? { brand: rng.pick(CARD_BRANDS), last4: String(rng.int(0, 9999)).padStart(4, "0") }
    : null;

  const data: DocumentData = {
    number: `ORD-${String(userIndex).padStart(6, "0")}-${orderIndex + 1}`,
    user: ctx.ref(userPath),
    status,
    statusHistory: history,
    placedAt: placedTs,
    updatedAt: history[history.length - 1]?.at ?? placedTs,
    paid,
    paidAt: paid ? timestamp(rng, placedAt + rng.int(1, 3600)) : null,
    currency,
    subtotal,
    shippingCost,
    tax,
    total,
    itemCount,
    notes: rng.chance(0.2)
      ? rng.pick(["Leave at the door", "Gift — no invoice", "Ring twice", "配達前に電話してください"])
      : null,
    shipping: {
      method: rng.pick(SHIPPING_METHODS),
      fromAirport: ctx.ref(`airports/${rng.pick(ctx.airportIds)}`),
      to: {
        city: home.city.name,
        country: countryRef,
        location: jitter(rng, home.city.latitude, home.city.longitude),
      },
      eta: timestamp(rng, placedAt + rng.int(1, 14) * DAY),
      trackingCodes: Array.from({ length: rng.int(0, 2) }, () => `TRK${rng.int(100_000_000, 999_999_999)}`),
    },
    payment: { method: card ? "card" : rng.pick(["bank-transfer", "voucher"]), card },
  };
  // A digest of the order's own content: bytes that a reader can check, as a payment record would carry.
  data.checksum = createHash("sha256")
    .update(JSON.stringify([id, data.number, status, total, currency, itemCount]))
    .digest();
  return { doc: { path, data }, items, total };
}

/** A timestamp at `seconds` with a random microsecond part (Firestore keeps microseconds). */
function timestamp(rng: Rng, seconds: number): Timestamp {
  return new Timestamp(seconds, rng.int(0, 999_999) * 1000);
}

function jitter(rng: Rng, latitude: number, longitude: number): GeoPoint {
  const lat = Math.max(-90, Math.min(90, latitude + (rng.next() - 0.5) * 0.1));
  const lon = Math.max(-180, Math.min(180, longitude + (rng.next() - 0.5) * 0.1));
  return new GeoPoint(roundTo(lat, 6), roundTo(lon, 6));
}

function asciiSlug(name: string): string {
  return name
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/ł/g, "l")
    .replace(/Ł/g, "L")
    .replace(/ø/g, "o")
    .replace(/ı/g, "i")
    .replace(/[^A-Za-z]/g, "")
    .toLowerCase();
}
