// A minimal XML reader for SOAP envelopes: elements, attributes, text. WS-Management
// messages use no DTDs and no mixed content that matters, so this is all we need and we
// avoid a parser dependency. Names are kept with their prefix and as a local name, since
// peers pick their own prefixes (s:, env:, soap:) and only the local name is stable.
import { SmtpProbeError } from '../../payload/util/errors.js';

export interface XmlNode {
  name: string;
  local: string;
  attrs: Record<string, string>; // keyed by local name
  children: XmlNode[];
  text: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s; // the common case, and base64 payloads are large
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? m;
  });
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[c]!};`);
}

const localOf = (name: string) => name.slice(name.indexOf(':') + 1);

export class XmlError extends SmtpProbeError {
  override name = 'XmlError';
  constructor(message: string) {
    super('xml', message);
  }
}

/** Parses a document into its root element; throws XmlError on malformed input. */
export function parseXml(doc: string): XmlNode {
  const tag = /<(\/?)([^\s/>!?]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>/g;
  const attr = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  const stack: XmlNode[] = [];
  let root: XmlNode | undefined;
  let last = 0;
  for (let m = tag.exec(doc); m; m = tag.exec(doc)) {
    const between = doc.slice(last, m.index);
    if (stack.length) stack[stack.length - 1]!.text += decodeEntities(between);
    else if (between.trim()) throw new XmlError('text outside the root element');
    last = tag.lastIndex;
    if (m[5] !== undefined) {
      if (stack.length) stack[stack.length - 1]!.text += m[5];
      continue;
    }
    if (m[2] === undefined) continue; // comment or processing instruction
    const [, close, name, rawAttrs, selfClose] = m;
    if (close) {
      const open = stack.pop();
      if (!open || open.name !== name) throw new XmlError(`unexpected </${name}>`);
      if (!stack.length) root = open;
      continue;
    }
    const node: XmlNode = { name, local: localOf(name), attrs: {}, children: [], text: '' };
    for (let a = attr.exec(rawAttrs ?? ''); a; a = attr.exec(rawAttrs ?? '')) node.attrs[localOf(a[1]!)] = decodeEntities(a[2] ?? a[3] ?? '');
    attr.lastIndex = 0;
    if (stack.length) stack[stack.length - 1]!.children.push(node);
    else if (root) throw new XmlError('two root elements');
    if (selfClose) {
      if (!stack.length) root = node;
    } else stack.push(node);
  }
  if (stack.length || !root) throw new XmlError('document ends inside an element or has no root');
  if (doc.slice(last).trim()) throw new XmlError('text after the root element');
  return root;
}

/** First descendant (depth-first, self included) whose local name matches. */
export function find(node: XmlNode | undefined, local: string): XmlNode | undefined {
  if (!node) return undefined;
  if (node.local === local) return node;
  for (const c of node.children) {
    const hit = find(c, local);
    if (hit) return hit;
  }
  return undefined;
}

export function findAll(node: XmlNode, local: string, out: XmlNode[] = []): XmlNode[] {
  if (node.local === local) out.push(node);
  for (const c of node.children) findAll(c, local, out);
  return out;
}

/** Follows a path of local names through direct children. */
export function child(node: XmlNode | undefined, ...path: string[]): XmlNode | undefined {
  let n = node;
  for (const p of path) n = n?.children.find((c) => c.local === p);
  return n;
}

/** All text inside a node, children included (fault messages nest provider details). */
export function allText(node: XmlNode): string {
  return node.text + node.children.map(allText).join('');
}
