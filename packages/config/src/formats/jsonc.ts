/** Calls `visit(index)` for every character outside JSON strings. */
function outsideStrings(chars: readonly string[], visit: (index: number) => number | void): void {
  let inString = false;
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else {
      const next = visit(i);
      if (next !== undefined) i = next;
    }
  }
}

/**
 * JSON with comments (`//`, `/* *\/`) and trailing commas, as VS Code reads `.vscode/mcp.json`:
 * returns plain JSON text of the same length and line layout (comments and trailing commas become
 * spaces), so positions in errors still point at the original text.
 */
export function stripJsonc(text: string): string {
  const chars = text.split('');
  outsideStrings(chars, (i) => {
    if (chars[i] === '/' && chars[i + 1] === '/') {
      let j = i;
      while (j < chars.length && chars[j] !== '\n') chars[j++] = ' ';
      return j - 1;
    }
    if (chars[i] === '/' && chars[i + 1] === '*') {
      let j = i;
      while (j < chars.length && !(chars[j] === '*' && chars[j + 1] === '/')) {
        if (chars[j] !== '\n') chars[j] = ' ';
        j++;
      }
      if (j < chars.length) chars[j] = chars[j + 1] = ' ';
      return j + 1;
    }
    return undefined;
  });
  outsideStrings(chars, (i) => {
    if (chars[i] !== ',') return undefined;
    let j = i + 1;
    while (j < chars.length && /\s/.test(chars[j] ?? '')) j++;
    if (chars[j] === '}' || chars[j] === ']') chars[i] = ' ';
    return undefined;
  });
  return chars.join('');
}
