import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xmlProblems } from './xml-check.js';

// The checker must itself catch what it is meant to catch, or the chart tests prove nothing.
test('the well-formedness check accepts good XML and rejects each kind of bad XML', () => {
  assert.deepEqual(xmlProblems('<?xml version="1.0"?>\n<svg a="1"><g><text x="1">a &amp; b</text></g><rect/></svg>'), []);
  const bad = [
    '<svg><g></svg>',
    '<svg><text>a & b</text></svg>',
    '<svg><text>a < b</text></svg>',
    '<svg a="x & y"/>',
    '<svg a="1" a="2"/>',
    '<svg/><svg/>',
    '<svg a=1/>',
  ];
  for (const xml of bad) assert.notDeepEqual(xmlProblems(xml), [], xml);
});
