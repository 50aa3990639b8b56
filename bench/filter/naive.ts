/**
 * The baseline: a straightforward interpreter that walks the pattern object for every event, with nothing
 * compiled ahead. It follows EventBridge's semantics for the operators the benchmark uses: a field's rules are
 * ORed, fields are ANDed, `$or` takes any branch, and event arrays fan out (a field matches when any element
 * does; nested arrays flatten). It ignores what the benchmark does not need (dotted keys, cidr, wildcard) and
 * does not validate patterns.
 */

type Leaf = string | number | boolean | null;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Whether `event` matches `pattern`, interpreting the pattern afresh. */
export function naiveMatches(pattern: Record<string, unknown>, event: unknown): boolean {
  return isObject(event) && matchesObject(pattern, [event]);
}

/** Every key of `pattern` holds for the nodes at this level (several when an array fanned out above). */
function matchesObject(pattern: Record<string, unknown>, nodes: unknown[]): boolean {
  for (const key of Object.keys(pattern)) {
    const sub = pattern[key];
    if (key === "$or" && Array.isArray(sub) && sub.every(isObject)) {
      if (!sub.some((branch) => matchesObject(branch, nodes))) return false;
      continue;
    }
    const children: unknown[] = [];
    for (const node of nodes) collectChildren(node, key, children);
    if (Array.isArray(sub)) {
      const leaves: Leaf[] = [];
      for (const child of children) collectLeaves(child, leaves);
      if (!rulesMatch(sub, leaves)) return false;
    } else if (isObject(sub)) {
      if (!matchesObject(sub, children)) return false;
    } else {
      throw new Error(`naive: "${key}" must be an object or an array`);
    }
  }
  return true;
}

/** `node[key]`, looking through arrays (each element in turn). */
function collectChildren(node: unknown, key: string, into: unknown[]): void {
  if (Array.isArray(node)) {
    for (const element of node) collectChildren(element, key, into);
  } else if (isObject(node) && Object.hasOwn(node, key)) {
    const value = node[key];
    if (value !== undefined) into.push(value);
  }
}

/** The leaf values at a position: scalars, and the scalars inside (nested) arrays; objects are no leaves. */
function collectLeaves(value: unknown, into: Leaf[]): void {
  if (Array.isArray(value)) {
    for (const element of value) collectLeaves(element, into);
  } else if (
    value === null ||
    typeof value === "string" ||
    typeof value === "number" ||
    typeof value === "boolean"
  ) {
    into.push(value);
  }
}

/** Rules are ORed; a rule other than `exists` holds when some leaf satisfies it. */
function rulesMatch(rules: unknown[], leaves: Leaf[]): boolean {
  for (const rule of rules) {
    if (isObject(rule) && "exists" in rule) {
      if (rule.exists === true ? leaves.length > 0 : leaves.length === 0) return true;
      continue;
    }
    for (const leaf of leaves) if (ruleMatches(rule, leaf)) return true;
  }
  return false;
}

function ruleMatches(rule: unknown, value: Leaf): boolean {
  if (!isObject(rule)) return rule === value;
  const [operator] = Object.keys(rule);
  const operand = rule[operator as string];
  switch (operator) {
    case "prefix":
      if (typeof value !== "string") return false;
      if (isObject(operand))
        return value.toLowerCase().startsWith(String(operand["equals-ignore-case"]).toLowerCase());
      return value.startsWith(operand as string);
    case "suffix":
      if (typeof value !== "string") return false;
      if (isObject(operand))
        return value.toLowerCase().endsWith(String(operand["equals-ignore-case"]).toLowerCase());
      return value.endsWith(operand as string);
    case "equals-ignore-case":
      return typeof value === "string" && value.toLowerCase() === String(operand).toLowerCase();
    case "numeric":
      return numericMatches(operand as unknown[], value);
    case "anything-but":
      return anythingButMatches(operand, value);
    default:
      throw new Error(`naive: unsupported operator ${String(operator)}`);
  }
}

function numericMatches(terms: unknown[], value: Leaf): boolean {
  if (typeof value !== "number") return false;
  for (let i = 0; i < terms.length; i += 2) {
    const bound = terms[i + 1] as number;
    switch (terms[i]) {
      case "=":
        if (!(value === bound)) return false;
        break;
      case ">":
        if (!(value > bound)) return false;
        break;
      case ">=":
        if (!(value >= bound)) return false;
        break;
      case "<":
        if (!(value < bound)) return false;
        break;
      case "<=":
        if (!(value <= bound)) return false;
        break;
      default:
        throw new Error(`naive: unsupported numeric operator ${String(terms[i])}`);
    }
  }
  return true;
}

/** `anything-but`: a value, a list of values, or `{prefix | suffix | equals-ignore-case: string | string[]}`. */
function anythingButMatches(operand: unknown, value: Leaf): boolean {
  if (Array.isArray(operand)) return !operand.includes(value);
  if (!isObject(operand)) return operand !== value;
  if (typeof value !== "string") return true; // the string forms exclude strings only
  const [operator] = Object.keys(operand);
  const inner = operand[operator as string];
  const texts = (Array.isArray(inner) ? inner : [inner]) as string[];
  switch (operator) {
    case "prefix":
      return !texts.some((t) => value.startsWith(t));
    case "suffix":
      return !texts.some((t) => value.endsWith(t));
    case "equals-ignore-case":
      return !texts.some((t) => value.toLowerCase() === t.toLowerCase());
    default:
      throw new Error(`naive: unsupported anything-but form ${String(operator)}`);
  }
}
