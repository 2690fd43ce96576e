import pg from "pg";

/** PostgreSQL type OIDs this module maps. */
export const INT8_OID = 20;
export const INT8_ARRAY_OID = 1016;

/** Money is BIGINT minor units, so int8 must arrive as a JS bigint on every driver, never a lossy number. */
export function parseInt8(text: string): bigint {
  return BigInt(text);
}

// pg's own typing only accepts the TypeId enum, which lacks array OIDs.
const defaultParser = pg.types.getTypeParser as unknown as (oid: number, format?: string) => (text: string) => unknown;

type NestedStrings = Array<string | null | NestedStrings>;
type NestedBigints = Array<bigint | null | NestedBigints>;

function toBigints(values: NestedStrings): NestedBigints {
  return values.map((value) => (value === null ? null : Array.isArray(value) ? toBigints(value) : BigInt(value)));
}

/**
 * Type parsers for one `pg.Pool` (its `types` option): int8 and int8[] become bigint, everything else keeps
 * node-postgres' defaults (numeric stays a string). Scoped to the pool instead of `pg.types.setTypeParser`,
 * which would change every pg client in the process, including other libraries'.
 */
export const int8AsBigintTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (format === undefined || format === "text") {
      if (oid === INT8_OID) return parseInt8;
      if (oid === INT8_ARRAY_OID) {
        const parseArray = defaultParser(INT8_ARRAY_OID, "text") as (text: string) => NestedStrings;
        return (text: string) => toBigints(parseArray(text));
      }
    }
    return defaultParser(oid, format);
  }) as pg.CustomTypesConfig["getTypeParser"],
};
