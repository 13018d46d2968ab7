// XML text and attribute escaping for reports read by CI servers. Evidence lines come from
// servers we do not trust: a character XML 1.0 forbids (NUL, ESC, a lone surrogate...) would
// make the whole file unreadable, so each is replaced by a visible \xNN / \uNNNN instead.

// XML 1.0 (fifth edition) section 2.2, the Char production, complemented.
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** `text` with every character XML 1.0 does not allow written as \xNN or \uNNNN. */
export function xmlSafe(text: string): string {
  return text.replace(NOT_XML_CHAR, (c) => {
    const n = c.codePointAt(0)!;
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0').toUpperCase()}` : `\\u${n.toString(16).padStart(4, '0').toUpperCase()}`;
  });
}

/** Element content. CR is written as a reference: a parser would turn a raw one into LF. */
export function xmlText(text: string): string {
  return xmlSafe(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** An attribute value in double quotes. Tab, LF and CR as references: attribute normalisation would make them spaces. */
export function xmlAttr(text: string): string {
  return xmlText(text).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}

/** `<name a="..." ...>` attributes, in the order given; undefined values are left out. */
export function xmlAttrs(attrs: Record<string, string | number | undefined>): string {
  return Object.entries(attrs)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
}
