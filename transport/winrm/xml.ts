// The reader of WS-Management replies: fast-xml-parser (well-formedness checked by its
// validator) turned into small element nodes. Names are kept with their prefix and as a local
// name, since peers pick their own prefixes (s:, env:, soap:) and only the local name is
// stable. WS-Man uses no DTD: a document declaring one is refused before parsing, so no entity
// can be defined (XXE, entity expansion); the HTTP leg bounds the reply's size (http.ts).
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SmtpProbeError } from '../../payload/util/errors.js';

export interface XmlNode {
  name: string;
  local: string;
  attrs: Record<string, string>; // keyed by local name
  children: XmlNode[];
  text: string;
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

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  cdataPropName: '#cdata',
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  // In fast-xml-parser 5 this is what decodes numeric references (`&#xD;`, `&#65;`) too; the
  // HTML names it adds (`&nbsp;`) never occur in a WS-Man reply.
  htmlEntities: true,
});

/** fast-xml-parser's ordered output: `{ tag: [children], ':@': { attr: value } }` or `{ '#text': s }`. */
type Ordered = Record<string, unknown>;

function toNode(entry: Ordered): XmlNode | undefined {
  const name = Object.keys(entry).find((k) => k !== ':@' && k !== '#text' && k !== '#cdata');
  if (name === undefined) return undefined;
  const node: XmlNode = { name, local: localOf(name), attrs: {}, children: [], text: '' };
  for (const [k, v] of Object.entries((entry[':@'] ?? {}) as Record<string, unknown>)) node.attrs[localOf(k)] = String(v);
  for (const c of entry[name] as Ordered[]) {
    if ('#text' in c) node.text += String(c['#text']);
    else if ('#cdata' in c) node.text += (c['#cdata'] as Ordered[]).map((t) => String(t['#text'] ?? '')).join('');
    else {
      const n = toNode(c);
      if (n) node.children.push(n);
    }
  }
  return node;
}

/** Parses a document into its root element; throws XmlError on malformed input or a DTD. */
export function parseXml(doc: string): XmlNode {
  if (/<!DOCTYPE|<!ENTITY/i.test(doc)) throw new XmlError('a document type declaration (WS-Management uses none)');
  const valid = XMLValidator.validate(doc);
  if (valid !== true) throw new XmlError(`${valid.err.msg} (line ${valid.err.line})`);
  // Validator and parser both let text after the root through; a SOAP reply has none.
  if (doc.slice(doc.lastIndexOf('>') + 1).trim()) throw new XmlError('text after the root element');
  const top = parser.parse(doc) as Ordered[];
  const roots = top.map(toNode).filter((n): n is XmlNode => n !== undefined);
  if (roots.length !== 1) throw new XmlError(roots.length ? 'two root elements' : 'no root element');
  return roots[0]!;
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
