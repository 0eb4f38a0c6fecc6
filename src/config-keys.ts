/**
 * Unknown keys in a config file are refused: a misspelled "heartbeat_msec"
 * used to be ignored silently, leaving the default in force. The parsed
 * file is wrapped so it records every key its loader asks for (present or
 * not); once the loader is done, a key in the file that nobody asked for is
 * a mistake. No list of keys to keep in step: a new setting read by its
 * loader is known by that alone.
 */

/** Keys asked for, as dotted paths ("password_hashing.memory_cost"; "instances[].id" for every element of a list). */
export type AskedKeys = Set<string>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `value`, answering like itself, but noting in `asked` every key read from it and from what it holds. */
export function trackKeys<T>(value: T, asked: AskedKeys, prefix = ""): T {
  if (Array.isArray(value)) {
    return new Proxy(value, {
      get(target, key, receiver) {
        const element = Reflect.get(target, key, receiver);
        return typeof key === "string" && /^[0-9]+$/.test(key) ? trackKeys(element, asked, `${prefix}[]`) : element;
      },
    });
  }
  if (!isObject(value)) return value;
  return new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key !== "string") return Reflect.get(target, key, receiver);
      const path = prefix === "" ? key : `${prefix}.${key}`;
      asked.add(path);
      return trackKeys(Reflect.get(target, key, receiver), asked, path);
    },
  });
}

/** Every key path in `value` (see AskedKeys for the form). */
function keyPaths(value: unknown, prefix = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((element) => keyPaths(element, `${prefix}[]`));
  if (!isObject(value)) return [];
  return Object.entries(value).flatMap(([key, inner]) => {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    return [path, ...keyPaths(inner, path)];
  });
}

/** Edits (insertions, deletions, substitutions) from `a` to `b`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** A misspelling is at most this many edits from the key meant. */
const suggestionEditsMax = 3;

/** The asked key at the same level closest to `path`, if close enough to be what was meant. */
function suggestion(path: string, asked: AskedKeys): string | undefined {
  const parent = path.slice(0, Math.max(path.lastIndexOf("."), 0));
  const siblings = [...asked].filter((key) => key.slice(0, Math.max(key.lastIndexOf("."), 0)) === parent);
  let best: { key: string; distance: number } | undefined;
  for (const key of siblings) {
    const distance = editDistance(path, key);
    if (distance <= suggestionEditsMax && (!best || distance < best.distance)) best = { key, distance };
  }
  return best?.key;
}

/** Sentences for the keys of `raw` that nobody asked for, each with the likely intended key or the known ones. */
export function unknownKeyProblems(raw: unknown, asked: AskedKeys): string[] {
  return keyPaths(raw)
    .filter((path) => !asked.has(path))
    .map((path) => {
      const meant = suggestion(path, asked);
      if (meant) return `unknown key "${path}": did you mean "${meant}"? Rename it (a misspelled key would leave the default in force)`;
      const parent = path.slice(0, Math.max(path.lastIndexOf("."), 0));
      const known = [...asked].filter((key) => key.slice(0, Math.max(key.lastIndexOf("."), 0)) === parent).join(", ");
      return `unknown key "${path}": remove it (the keys known here are ${known || "none"})`;
    });
}
