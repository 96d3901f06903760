import { describe, expect, it } from "vitest";
import { FaultBook, type FaultRule, parseFaultSpec } from "../../local/faults.js";

describe("parseFaultSpec", () => {
  const good: Array<[string, FaultRule[]]> = [
    ["", []],
    ["   ", []],
    ["export:429", [{ target: "export", effect: "429" }]],
    ["export:500", [{ target: "export", effect: "500" }]],
    ["export:503*2", [{ target: "export", effect: "503", count: 2 }]],
    ["export:403", [{ target: "export", effect: "403" }]],
    ["export:exists*1", [{ target: "export", effect: "exists", count: 1 }]],
    ["export:timeout", [{ target: "export", effect: "timeout" }]],
    ["get:503", [{ target: "get", effect: "503" }]],
    ["list:503*10", [{ target: "list", effect: "503", count: 10 }]],
    ["op:FAILED", [{ target: "op", effect: "FAILED" }]],
    ["op:CANCELLED*3", [{ target: "op", effect: "CANCELLED", count: 3 }]],
    ["op:STUCK", [{ target: "op", effect: "STUCK" }]],
    ["storage:missing", [{ target: "storage", effect: "missing" }]],
    [
      " export:503*2 , op:FAILED ",
      [
        { target: "export", effect: "503", count: 2 },
        { target: "op", effect: "FAILED" },
      ],
    ],
  ];
  it.each(good)("accepts %j", (spec, rules) => {
    expect(parseFaultSpec(spec)).toEqual(rules);
  });

  const bad: Array<[string, RegExp]> = [
    ["export", /"export": expected TARGET:EFFECT/],
    ["export:", /"export:"/],
    ["export:404", /unknown effect "404" for export/],
    ["op:failed", /unknown effect "failed" for op/],
    ["get:500", /unknown effect "500" for get/],
    ["storage:gone", /unknown effect "gone"/],
    ["import:503", /unknown target "import"/],
    ["export:503*0", /COUNT "0" is not a positive integer/],
    ["export:503*-1", /COUNT "-1"/],
    ["export:503*1.5", /COUNT "1.5"/],
    ["export:503*x", /COUNT "x"/],
    ["export:503*", /"export:503\*"/],
    ["export:503,,op:FAILED", /empty item/],
    ["export:503,", /empty item/],
    ["op:FAILED, export:503 *2", /"export:503 \*2"/],
  ];
  it.each(bad)("rejects %j naming the item and listing every accepted form", (spec, message) => {
    expect(() => parseFaultSpec(spec)).toThrow(message);
    expect(() => parseFaultSpec(spec)).toThrow(
      "Accepted: export:429|500|503|403|exists|timeout, get:503, list:503, op:FAILED|CANCELLED|STUCK, storage:missing",
    );
  });
});

describe("FaultBook", () => {
  it("serves a counted fault that many times, then behaves normally", () => {
    const book = new FaultBook("export:503*2");
    expect([book.take("export"), book.take("export"), book.take("export")]).toEqual([
      "503",
      "503",
      undefined,
    ]);
  });

  it("serves an uncounted fault on every call", () => {
    const book = new FaultBook("get:503");
    expect([book.take("get"), book.take("get"), book.take("get")]).toEqual(["503", "503", "503"]);
  });

  it("keeps targets apart and uses rules of one target in order", () => {
    const book = new FaultBook("export:503*1,op:FAILED*1,export:429");
    expect(book.take("list")).toBeUndefined();
    expect(book.take("op")).toBe("FAILED");
    expect(book.take("op")).toBeUndefined();
    expect([book.take("export"), book.take("export"), book.take("export")]).toEqual(["503", "429", "429"]);
    expect(book.remaining()).toEqual([{ target: "export", effect: "429" }]);
  });

  it("replaces all rules on reset and keeps the old ones when the new spec is bad", () => {
    const book = new FaultBook("export:503");
    expect(() => book.reset("export:nope")).toThrow(/unknown effect/);
    expect(book.take("export")).toBe("503");
    book.reset("");
    expect(book.take("export")).toBeUndefined();
  });
});
