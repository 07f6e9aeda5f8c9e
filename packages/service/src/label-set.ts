import { setOwn } from "./own-key.js";

/**
 * Parses a Prometheus label-set string as Loki's protobuf push carries it:
 * `{job="varlogs", level="warn", msg="say \"hi\"\n"}`. Names are identifiers or quoted strings
 * (UTF-8 names); values are Go string literals: "double-quoted" with escapes (\\ \" \n \t \xHH
 * \uHHHH \UHHHHHHHH \ooo …; an unknown escape is kept as written), 'single-quoted', or `raw`.
 * Throws a SyntaxError on anything else.
 */
export function parseLabelSet(input: string): Record<string, string> {
  const parser = new LabelSetParser(input);
  return parser.parse();
}

const NAME_START = /[A-Za-z_]/;
// Wider than Prometheus ([A-Za-z0-9_]): some clients (winston-loki) send names with . - :
const NAME_PART = /[A-Za-z0-9_.:-]/;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

class LabelSetParser {
  #pos = 0;
  readonly #s: string;

  constructor(s: string) {
    this.#s = s;
  }

  parse(): Record<string, string> {
    const labels: Record<string, string> = {};
    this.#skipSpace();
    this.#expect("{");
    this.#skipSpace();
    if (this.#peek() === "}") {
      this.#pos++;
      return this.#end(labels);
    }
    for (;;) {
      this.#skipSpace();
      const name = this.#name();
      this.#skipSpace();
      this.#expect("=");
      this.#skipSpace();
      const value = this.#string();
      if (Object.hasOwn(labels, name)) this.#fail(`duplicate label "${name}"`);
      setOwn(labels, name, value);
      this.#skipSpace();
      const c = this.#peek();
      this.#pos++;
      if (c === "}") return this.#end(labels);
      if (c !== ",") this.#fail('expected "," or "}"');
      this.#skipSpace();
      // A trailing comma before the brace is allowed, as in PromQL.
      if (this.#peek() === "}") {
        this.#pos++;
        return this.#end(labels);
      }
    }
  }

  #end(labels: Record<string, string>): Record<string, string> {
    this.#skipSpace();
    if (this.#pos !== this.#s.length) this.#fail("unexpected text after the closing brace");
    return labels;
  }

  #name(): string {
    const c = this.#peek();
    if (c === '"' || c === "'" || c === "`") {
      const name = this.#string();
      if (name.length === 0) this.#fail("empty label name");
      return name;
    }
    if (c === undefined || !NAME_START.test(c)) this.#fail("expected a label name");
    const start = this.#pos;
    while (this.#pos < this.#s.length && NAME_PART.test(this.#s[this.#pos] as string)) this.#pos++;
    return this.#s.slice(start, this.#pos);
  }

  #string(): string {
    const quote = this.#peek();
    if (quote !== '"' && quote !== "'" && quote !== "`") this.#fail("expected a quoted value");
    this.#pos++;
    let out = "";
    // \xHH and octal escapes are bytes (Go semantics): runs of them are decoded as UTF-8.
    let bytes: number[] = [];
    const flush = () => {
      if (bytes.length > 0) out += Buffer.from(bytes).toString("utf8");
      bytes = [];
    };
    for (;;) {
      const c = this.#s[this.#pos++];
      if (c === undefined) this.#fail("unterminated string");
      if (quote !== "`" && c === "\\") {
        const escaped = this.#escape();
        if (typeof escaped === "number") bytes.push(escaped);
        else {
          flush();
          out += escaped;
        }
        continue;
      }
      flush();
      if (c === quote) return out;
      if (c === "\n" && quote !== "`") this.#fail("newline in a quoted string");
      out += c;
    }
  }

  /** An escape after the backslash: a string, or a byte for \xHH and \ooo. */
  #escape(): string | number {
    const c = this.#s[this.#pos++];
    if (c === undefined) this.#fail("unterminated escape");
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) return simple;
    if (c === "x") return this.#hex(2);
    if (c === "u") return this.#codePoint(this.#hex(4));
    if (c === "U") return this.#codePoint(this.#hex(8));
    if (c >= "0" && c <= "7") {
      const digits = c + this.#s.slice(this.#pos, this.#pos + 2);
      if (!/^[0-7]{3}$/.test(digits)) this.#fail("bad octal escape");
      this.#pos += 2;
      const n = Number.parseInt(digits, 8);
      if (n > 255) this.#fail("bad octal escape");
      return n;
    }
    // Lenient where Go is strict: some clients concatenate values without escaping them, so an
    // unknown escape such as a Windows path's "\\d" is kept as written rather than losing the line.
    return `\\${c}`;
  }

  #hex(length: number): number {
    const digits = this.#s.slice(this.#pos, this.#pos + length);
    if (digits.length !== length || !/^[0-9a-fA-F]+$/.test(digits)) this.#fail("bad hex escape");
    this.#pos += length;
    return Number.parseInt(digits, 16);
  }

  #codePoint(n: number): string {
    if (n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) this.#fail("bad unicode escape");
    return String.fromCodePoint(n);
  }

  #skipSpace(): void {
    while (this.#pos < this.#s.length && /\s/.test(this.#s[this.#pos] as string)) this.#pos++;
  }

  #peek(): string | undefined {
    return this.#s[this.#pos];
  }

  #expect(c: string): void {
    if (this.#s[this.#pos] !== c) this.#fail(`expected "${c}"`);
    this.#pos++;
  }

  #fail(reason: string): never {
    throw new SyntaxError(`invalid label set at offset ${this.#pos}: ${reason}`);
  }
}
