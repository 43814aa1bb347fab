/**
 * The subset of the Compute API list filter language (https://cloud.google.com/compute/docs/reference/rest/v1/instances/list)
 * that the fake understands: comparisons `field = value`, `field != value`, `field : value` (`:*` = has field),
 * values bare or "double-quoted" (`*` is a wildcard in `=`/`!=`), combined with parentheses, `AND`, `OR`, `NOT`
 * and juxtaposition (implicit AND). Anything else is a syntax error, answered with 400 like the real API.
 */
export type FilterNode =
  | { readonly kind: "cmp"; readonly field: string; readonly op: "=" | "!=" | ":"; readonly value: string }
  | { readonly kind: "and" | "or"; readonly left: FilterNode; readonly right: FilterNode }
  | { readonly kind: "not"; readonly inner: FilterNode };

export class FilterSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FilterSyntaxError";
  }
}

type Token = { type: "(" | ")" | "op" | "word" | "string"; text: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? "";
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === "(" || c === ")") {
      tokens.push({ type: c, text: c });
      i += 1;
    } else if (c === "!" && text[i + 1] === "=") {
      tokens.push({ type: "op", text: "!=" });
      i += 2;
    } else if (c === "=" || c === ":") {
      tokens.push({ type: "op", text: c });
      i += 1;
    } else if (c === '"') {
      let value = "";
      i += 1;
      for (;;) {
        if (i >= text.length) throw new FilterSyntaxError(`unterminated string in filter ${JSON.stringify(text)}`);
        const d = text[i] ?? "";
        if (d === "\\") {
          value += text[i + 1] ?? "";
          i += 2;
        } else if (d === '"') {
          i += 1;
          break;
        } else {
          value += d;
          i += 1;
        }
      }
      tokens.push({ type: "string", text: value });
    } else {
      const m = /^[^\s()=!:"]+/.exec(text.slice(i));
      if (!m) throw new FilterSyntaxError(`unexpected ${JSON.stringify(c)} at offset ${i} of filter ${JSON.stringify(text)}`);
      tokens.push({ type: "word", text: m[0] });
      i += m[0].length;
    }
  }
  return tokens;
}

export function parseFilter(text: string): FilterNode | undefined {
  const tokens = tokenize(text);
  if (tokens.length === 0) return undefined;
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const isKeyword = (t: Token | undefined, word: string): boolean => t?.type === "word" && t.text === word;

  const parseOr = (): FilterNode => {
    let left = parseAnd();
    while (isKeyword(peek(), "OR")) {
      pos += 1;
      left = { kind: "or", left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): FilterNode => {
    let left = parseUnary();
    for (;;) {
      const t = peek();
      if (t === undefined || t.type === ")" || isKeyword(t, "OR")) return left;
      if (isKeyword(t, "AND")) pos += 1;
      left = { kind: "and", left, right: parseUnary() };
    }
  };
  const parseUnary = (): FilterNode => {
    const t = peek();
    if (isKeyword(t, "NOT")) {
      pos += 1;
      return { kind: "not", inner: parseUnary() };
    }
    if (t?.type === "(") {
      pos += 1;
      const inner = parseOr();
      if (peek()?.type !== ")") throw new FilterSyntaxError(`expected ")" in filter ${JSON.stringify(text)}`);
      pos += 1;
      return inner;
    }
    return parseComparison();
  };
  const parseComparison = (): FilterNode => {
    const field = tokens[pos];
    const op = tokens[pos + 1];
    const value = tokens[pos + 2];
    if (field?.type !== "word" || op?.type !== "op" || (value?.type !== "word" && value?.type !== "string")) {
      throw new FilterSyntaxError(`expected "field = value" at token ${pos} of filter ${JSON.stringify(text)}`);
    }
    pos += 3;
    return { kind: "cmp", field: field.text, op: op.text as "=" | "!=" | ":", value: value.text };
  };

  const node = parseOr();
  if (pos !== tokens.length) throw new FilterSyntaxError(`unexpected ${JSON.stringify(tokens[pos]?.text)} in filter ${JSON.stringify(text)}`);
  return node;
}

function resolveField(resource: unknown, field: string): unknown {
  let current: unknown = resource;
  for (const part of field.split(".")) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes("*")) return pattern === value;
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return re.test(value);
}

export function evaluateFilter(node: FilterNode | undefined, resource: unknown): boolean {
  if (node === undefined) return true;
  switch (node.kind) {
    case "and":
      return evaluateFilter(node.left, resource) && evaluateFilter(node.right, resource);
    case "or":
      return evaluateFilter(node.left, resource) || evaluateFilter(node.right, resource);
    case "not":
      return !evaluateFilter(node.inner, resource);
    case "cmp": {
      const raw = resolveField(resource, node.field);
      if (node.op === ":") {
        if (node.value === "*") return raw !== undefined;
        const values = Array.isArray(raw) ? raw.map(String) : raw === undefined ? [] : [typeof raw === "string" ? raw : JSON.stringify(raw)];
        return values.some((v) => v.includes(node.value));
      }
      const matches = raw !== undefined && globMatch(node.value, typeof raw === "string" ? raw : JSON.stringify(raw));
      return node.op === "=" ? matches : !matches;
    }
  }
}
