// Fault specification of the local gateway (DESIGN 4.1): `TARGET:EFFECT[*COUNT]`, comma-separated.

/** Which gateway call a fault applies to. */
export type FaultTarget = "export" | "get" | "list" | "op" | "storage";

/** The effects each target accepts, in the order they are documented. */
export const FAULT_EFFECTS = {
  export: ["429", "500", "503", "403", "exists", "timeout"],
  get: ["503"],
  list: ["503"],
  op: ["FAILED", "CANCELLED", "STUCK"],
  storage: ["missing"],
} as const satisfies Record<FaultTarget, readonly string[]>;

/** An effect accepted by some target. */
export type FaultEffect = (typeof FAULT_EFFECTS)[FaultTarget][number];

/** One parsed `TARGET:EFFECT[*COUNT]` item; `count` undefined means every call. */
export interface FaultRule {
  target: FaultTarget;
  effect: FaultEffect;
  count?: number;
}

const ACCEPTED_FORMS = (Object.keys(FAULT_EFFECTS) as FaultTarget[])
  .map((target) => `${target}:${FAULT_EFFECTS[target].join("|")}`)
  .join(", ");

function isTarget(value: string): value is FaultTarget {
  return Object.hasOwn(FAULT_EFFECTS, value);
}

function reject(item: string, why: string): never {
  throw new Error(
    `Invalid fault "${item}": ${why}. Accepted: ${ACCEPTED_FORMS}, each optionally followed by *COUNT ` +
      "(a positive integer, default: every call), comma-separated, e.g. export:503*2,op:FAILED",
  );
}

/** Parses a fault spec; an empty or blank spec means no faults. Throws on the first bad item. */
export function parseFaultSpec(spec: string): FaultRule[] {
  const rules: FaultRule[] = [];
  if (spec.trim() === "") return rules;
  for (const raw of spec.split(",")) {
    const item = raw.trim();
    if (item === "") reject(raw, "empty item");
    const match = /^([A-Za-z]+):([A-Za-z0-9]+)(?:\*(\S+))?$/.exec(item);
    if (!match) reject(item, "expected TARGET:EFFECT[*COUNT]");
    const [, target = "", effect = "", countText] = match;
    if (!isTarget(target)) reject(item, `unknown target "${target}"`);
    const effects: readonly string[] = FAULT_EFFECTS[target];
    if (!effects.includes(effect)) {
      reject(item, `unknown effect "${effect}" for ${target} (accepted: ${effects.join(", ")})`);
    }
    const rule: FaultRule = { target, effect: effect as FaultEffect };
    if (countText !== undefined) {
      if (!/^[1-9][0-9]*$/.test(countText) || !Number.isSafeInteger(Number(countText))) {
        reject(item, `COUNT "${countText}" is not a positive integer`);
      }
      rule.count = Number(countText);
    }
    rules.push(rule);
  }
  return rules;
}

/**
 * The faults still to be served. Rules for the same target are used in the order given, so
 * `export:503*2,export:429` answers 503 twice and 429 from then on.
 */
export class FaultBook {
  private rules: FaultRule[];

  constructor(spec = "") {
    this.rules = parseFaultSpec(spec);
  }

  /** Replaces every rule (and every remaining count) with those of `spec`. */
  reset(spec: string): void {
    this.rules = parseFaultSpec(spec);
  }

  /** Consumes one call of `target`: the effect to apply, or undefined to behave normally. */
  take(target: FaultTarget): FaultEffect | undefined {
    const index = this.rules.findIndex((rule) => rule.target === target);
    if (index < 0) return undefined;
    const rule = this.rules[index] as FaultRule;
    if (rule.count !== undefined) {
      rule.count -= 1;
      if (rule.count === 0) this.rules.splice(index, 1);
    }
    return rule.effect;
  }

  /** The rules not yet used up, with their remaining counts. */
  remaining(): FaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }
}
