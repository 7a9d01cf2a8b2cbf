import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkOneOf, closestName, rejectUnknownOptions } from './options.js';

describe('option validation', () => {
  it('suggests the intended name for typos', () => {
    assert.equal(closestName('widht', ['width', 'height']), 'width');
    assert.equal(closestName('zzzzzz', ['width', 'height']), undefined);
    assert.throws(() => rejectUnknownOptions('createProducer', { widht: 1 }, ['width']), {
      code: 'ERR_INVALID_OPTION',
      message: 'Misspelled option "widht" for createProducer: did you mean "width"?',
    });
    assert.throws(() => rejectUnknownOptions('x', { nonsense: 1 }, ['width']), { message: /Unknown option "nonsense".*Known options: width/ });
    assert.throws(() => checkOneOf('policy', 'lastest', ['latest', 'every']), { message: /did you mean 'latest'/ });
  });

});
