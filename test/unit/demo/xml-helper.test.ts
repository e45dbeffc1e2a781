import { describe, expect, it } from 'vitest';
import { findAll, parseXml, textOf } from '../../helpers/xml.js';

// The SVG tests lean on this checker, so it must refuse what a browser's XML parser refuses.
describe('the XML well-formedness checker (test helper)', () => {
  it('reads elements, attributes, entities and text', () => {
    const root = parseXml(
      '<?xml version="1.0"?>\n<!-- c --><a x="1 &amp; 2" y=\'&lt;\'><b>t&#x41;&#66;&quot;</b><c/></a>\n',
    );
    expect(root.name).toBe('a');
    expect(root.attrs).toEqual({ x: '1 & 2', y: '<' });
    expect(findAll(root, (e) => e.name !== 'a').map((e) => e.name)).toEqual(['b', 'c']);
    expect(textOf(root)).toBe('tAB"');
  });

  it.each([
    ['mismatched tags', '<a><b></a></b>'],
    ['an unclosed element', '<a><b></b>'],
    ['an unquoted attribute', '<a x=1/>'],
    ['a duplicate attribute', '<a x="1" x="2"/>'],
    ['a bare ampersand', '<a>Tom & Jerry</a>'],
    ['an unknown entity', '<a>&nbsp;</a>'],
    ['"<" in an attribute', '<a x="<"/>'],
    ['two roots', '<a/><b/>'],
    ['text outside the root', '<a/>x'],
    ['a forbidden control character', '<a>\u0001</a>'],
    ['"]]>" in text', '<a>]]></a>'],
    ['no root', '  '],
  ])('refuses %s', (_, xml) => {
    expect(() => parseXml(xml)).toThrow();
  });
});
