import { Headers } from '@rws/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldCount, fieldValue } from '../src/internal/field-value.js';

describe('fieldValue / fieldCount', () => {
  it('read a lower-case name as Headers.get() and getAll() do, repeated fields and cookie included (property)', () => {
    const name = fc.constantFrom('vary', 'cookie', 'origin', 'content-type');
    const field = fc.tuple(name, fc.constantFrom('', 'a', 'b=1', 'Origin, Accept'));
    fc.assert(
      fc.property(fc.array(field, { maxLength: 6 }), name, (fields, wanted) => {
        const headers = new Headers(fields);
        expect(fieldValue(headers, wanted)).toBe(headers.get(wanted));
        expect(fieldCount(headers, wanted)).toBe(headers.getAll(wanted).length);
      }),
    );
  });
});
