import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { LimitError, ValidationError, type FieldIssue } from '../errors/strata-error';
import { MAX_FILE_BYTES, utf8Length } from '../schema/limits';
import { joinPath } from '../schema/server-config';
import { stripJsonc } from './jsonc';

/** A config file read into plain values, before any schema check. */
export interface RawDocument {
  /** The document as plain JS values (`toJS`). */
  readonly root: unknown;
  /** Keys of the top-level map `section` in file order (JS objects put integer-like keys first). */
  readonly sectionKeys: (section: string) => string[] | undefined;
}

/** `merge`: YAML 1.1 merge keys (`<<: *defaults`), which LibreChat files use. */
const YAML_OPTIONS = { strict: true, uniqueKeys: false, prettyErrors: false, logLevel: 'error', merge: true } as const;
/** Aliases may repeat a node at most this many times, which stops "billion laughs" documents. */
const MAX_ALIAS_COUNT = 100;

/** How `yaml` names a scalar key in `toJS` output. */
function keyString(key: unknown): string | undefined {
  if (!isScalar(key)) return key === null ? '' : undefined;
  const value: unknown = key.value;
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'symbol':
      // The merge key `<<` (YAML 1.1, `merge: true`): its value is merged, it is no key of its own.
      return '<<';
    default:
      // `null` and `~` become ''; a binary (`!!binary`) key is not a plain key.
      return value === null ? '' : undefined;
  }
}

/**
 * Duplicate keys (after the string conversion `toJS` applies, so `1` and `"1"` collide) and keys
 * that are not scalars, with the dotted path of each.
 */
function keyIssues(node: unknown, path: string, lines: LineCounter, issues: FieldIssue[]): void {
  if (isMap(node)) {
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = keyString(pair.key);
      if (key === undefined) {
        issues.push({ path, message: 'keys must be plain strings or numbers' });
        continue;
      }
      const keyPath = joinPath(path, [key]);
      if (seen.has(key) && key !== '<<') {
        const offset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
        const where = offset === undefined ? '' : ` (line ${lines.linePos(offset).line})`;
        issues.push({ path: keyPath, message: `duplicate key${where}` });
      }
      seen.add(key);
      keyIssues(pair.value, keyPath, lines, issues);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => keyIssues(item, joinPath(path, [index]), lines, issues));
  }
}

function sectionKeysOf(doc: Document): (section: string) => string[] | undefined {
  return (section) => {
    const map = isMap(doc.contents) ? doc.contents.get(section, true) : undefined;
    if (!isMap(map)) return undefined;
    const keys: string[] = [];
    for (const pair of map.items) {
      const key = keyString(pair.key);
      if (key !== undefined && key !== '<<') keys.push(key);
    }
    return keys;
  };
}

function parseYaml(text: string): { doc: Document<Node, true>; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { ...YAML_OPTIONS, lineCounter: lines });
  return { doc, lines };
}

/**
 * Reads a YAML document. Syntax errors (with line and column), duplicate keys, complex keys and
 * unresolved or excessive aliases become `ValidationError('INVALID_CONFIG')` for `source`.
 */
export function readYamlDocument(text: string, source: string): RawDocument {
  assertText(text, source);
  const { doc, lines } = parseYaml(text);
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((error) => {
      const { line, col } = lines.linePos(error.pos[0]);
      return { path: '', message: `YAML syntax error at line ${line}, column ${col}: ${error.message}` };
    });
    throw new ValidationError('INVALID_CONFIG', issues, source);
  }
  const issues: FieldIssue[] = [];
  keyIssues(doc.contents, '', lines, issues);
  if (issues.length > 0) throw new ValidationError('INVALID_CONFIG', issues, source);
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // `toJS` throws ReferenceError for an alias without anchor or with too many repetitions.
    const message = error instanceof Error ? error.message : 'could not resolve aliases';
    throw new ValidationError('INVALID_CONFIG', [{ path: '', message: `YAML error: ${message}` }], source);
  }
  return { root, sectionKeys: sectionKeysOf(doc) };
}

/** A `JSON.parse` message without the input excerpt newer V8 versions quote (it may hold a secret). */
function jsonProblem(error: unknown, text: string): string {
  const raw = error instanceof Error ? error.message : 'not valid JSON';
  // Newer messages quote an excerpt: `Unexpected token 's', ..."a": sk-..."... is not valid JSON`.
  const quote = raw.indexOf('"');
  const head = quote === -1 ? raw : raw.slice(0, quote).replace(/[\s,.]+$/, '');
  const position = /at position (\d+)/.exec(head)?.[1];
  const message = head.replace(/ at position \d+.*$/s, '').replace(/ in JSON$/, '');
  let offset = position === undefined ? undefined : Number(position);
  if (offset === undefined && /end of JSON input/.test(raw)) offset = text.length;
  if (offset === undefined) return `invalid JSON: ${message}`;
  const before = text.slice(0, offset).split('\n');
  const column = (before.at(-1)?.length ?? 0) + 1;
  return `invalid JSON at line ${before.length}, column ${column}: ${message}`;
}

/**
 * Reads a JSON document (a leading byte-order mark is allowed). Syntax errors and duplicate keys
 * (which `JSON.parse` would silently resolve to the last one) become `ValidationError`s.
 */
export function readJsonDocument(text: string, source: string, options: { jsonc?: boolean } = {}): RawDocument {
  assertText(text, source);
  const withoutBom = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const body = options.jsonc ? stripJsonc(withoutBom) : withoutBom;
  let root: unknown;
  try {
    root = JSON.parse(body);
  } catch (error) {
    throw new ValidationError('INVALID_CONFIG', [{ path: '', message: jsonProblem(error, body) }], source);
  }
  // JSON is YAML 1.2: the YAML syntax tree gives key order and duplicate keys, which JSON.parse hides.
  const { doc, lines } = parseYaml(body);
  if (doc.errors.length > 0) return { root, sectionKeys: () => undefined };
  const issues: FieldIssue[] = [];
  keyIssues(doc.contents, '', lines, issues);
  if (issues.length > 0) throw new ValidationError('INVALID_CONFIG', issues, source);
  return { root, sectionKeys: sectionKeysOf(doc) };
}

/**
 * A document is text (anything else — undefined, a Buffer, an object — is `INVALID_INPUT`) of at
 * most `MAX_FILE_BYTES` (`LIMIT_EXCEEDED`).
 */
function assertText(text: unknown, source: string): asserts text is string {
  if (typeof text !== 'string') {
    const got = text === null ? 'null' : Array.isArray(text) ? 'an array' : typeof text;
    throw new ValidationError('INVALID_INPUT', [{ path: '', message: `must be the file's text (got ${got})` }], source);
  }
  // Characters bound bytes from below (a UTF-16 unit is at most 3 UTF-8 bytes): count only when close.
  if (text.length * 3 > MAX_FILE_BYTES) {
    const bytes = utf8Length(text);
    if (bytes > MAX_FILE_BYTES)
      throw new LimitError('MAX_FILE_BYTES', MAX_FILE_BYTES, '', `a file of ${bytes} bytes`, source);
  }
}
