import {XMLBuilder, XMLParser} from 'fast-xml-parser'

/**
 * The one XML builder: attributes are keys starting with "@_", every text and attribute value is
 * escaped by the builder, and empty elements come out as <x/>. Nothing user-supplied is ever
 * concatenated into XML by hand.
 */
const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
})

export type XmlNode = {[key: string]: XmlValue}
export type XmlValue = string | number | XmlNode | XmlNode[] | undefined

export function renderXml(root: XmlNode): string {
  return builder.build(root) as string
}

/**
 * Parses libvirt's XML keeping every value a string: the default would turn <name>007</name>
 * into the number 7. Elements named in `arrays` are always arrays, even when there is one.
 */
export function parseXml(text: string, arrays: readonly string[] = []): XmlNode {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    removeNSPrefix: false,
    isArray: (name) => arrays.includes(name),
  })
  return parser.parse(text) as XmlNode
}

/** The child element NAME of a parsed node (or its attribute, for "@_name"); undefined when absent. */
export function xmlChild(node: unknown, name: string): XmlNode | undefined {
  if (!node || typeof node !== 'object') return undefined
  return (node as XmlNode)[name] as XmlNode | undefined
}

/** An attribute's value, when it is there. */
export function xmlAttr(node: unknown, name: string): string | undefined {
  const value = xmlChild(node, `@_${name}`)
  return typeof value === 'string' ? value : undefined
}

/** An element's text, whether the parser gave it as a string or as #text beside attributes. */
export function xmlText(node: unknown): string | undefined {
  if (typeof node === 'string') return node
  if (node && typeof node === 'object' && typeof (node as XmlNode)['#text'] === 'string') return (node as XmlNode)['#text'] as string
  return undefined
}
