import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chromiumPath } from './browser.util';

describe('chromiumPath', () => {
  it('fails with what to install and which variable to set when the browser is missing, instead of skipping', () => {
    assert.throws(
      () => chromiumPath({ VIGIL_CHROMIUM_PATH: '/nonexistent/chromium' }),
      /Chromium is missing \(\/nonexistent\/chromium is not an executable\).*apt-get install -y chromium.*VIGIL_CHROMIUM_PATH/,
    );
  });

  it('accepts an executable file', () => {
    assert.equal(chromiumPath({ VIGIL_CHROMIUM_PATH: process.execPath }), process.execPath);
  });
});
