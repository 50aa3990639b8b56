/** A value as JSON text, null when it is absent: for event text written field by field. */
export const jsonOrNull = (value: unknown) =>
  value === undefined || value === null ? "null" : JSON.stringify(value);
