/**
 * A small strict well-formedness check for the SVG we emit (not a general XML parser): tags nest and
 * close, attributes are name="value", and `<` / `&` appear in text and values only as markup or entities.
 * Returns the problems found (empty when well-formed) and the element count by class for counting marks.
 */
export function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  const badAmpersand = /&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  for (const match of body.matchAll(/<[^>]*>|[^<]+/g)) {
    const token = match[0];
    if (!token.startsWith('<')) {
      if (badAmpersand.test(token)) problems.push(`bare & in text: ${token.slice(0, 40)}`);
      if (stack.length === 0 && token.trim() !== '') problems.push(`text outside the root: ${token.slice(0, 40)}`);
      continue;
    }
    const close = /^<\/([\w:-]+)\s*>$/.exec(token);
    if (close) {
      const open = stack.pop();
      if (open !== close[1]) problems.push(`</${close[1]}> closes <${open}>`);
      continue;
    }
    const open = /^<([\w:-]+)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>$/.exec(token);
    if (!open) {
      problems.push(`malformed tag: ${token.slice(0, 60)}`);
      continue;
    }
    const [, name = '', attributes = '', selfClosing] = open;
    if (badAmpersand.test(attributes)) problems.push(`bare & in attributes: ${token.slice(0, 60)}`);
    const names = [...attributes.matchAll(/([\w:-]+)=/g)].map((m) => m[1]);
    if (new Set(names).size !== names.length) problems.push(`duplicate attribute: ${token.slice(0, 60)}`);
    if (stack.length === 0) roots++;
    if (selfClosing !== '/') stack.push(name);
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(' > ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

/** Number of elements carrying `class="<name>"`. */
export function countClass(xml: string, name: string): number {
  return xml.split(`class="${name}"`).length - 1;
}

/** PNG width and height from the IHDR chunk, after checking the 8-byte signature. */
export function pngSize(png: Buffer): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!signature.every((b, i) => png[i] === b)) throw new Error('not a PNG');
  if (png.toString('ascii', 12, 16) !== 'IHDR') throw new Error('PNG without IHDR first');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
