/**
 * docs/protocol.md is normative, so its byte tables must be the code's:
 * every field of every table is compared with src/bus/layout.ts (the
 * TypeScript implementation) and libvidbus/src/internal.h (the C one), in
 * both directions (no field missing from the document, none extra).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { C, D, DATA_MAGIC, CTL_MAGIC, H, HOLD_BYTES, HOLDS_PER_RECORD, MAX_SLOTS, MAX_USER_META, R, RECORD_BYTES } from '../../src/bus/layout.js';
import { formatInfo, PIXEL_FORMATS } from '../../src/video/formats.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const doc = readFileSync(`${root}docs/protocol.md`, 'utf8');
const header = readFileSync(`${root}libvidbus/src/internal.h`, 'utf8');

/** The `| offset | type | \`field\` |` rows of the section under `heading`. */
function table(heading: string): Record<string, number> {
  const start = doc.indexOf(heading);
  assert.ok(start >= 0, `docs/protocol.md has "${heading}"`);
  const end = doc.indexOf('\n##', start + heading.length);
  const rows: Record<string, number> = {};
  for (const m of doc.slice(start, end < 0 ? undefined : end).matchAll(/^\| (\d+) \| [^|]+\| `(\w+)` \|/gm)) rows[m[2]!] = Number(m[1]);
  return rows;
}

/** The C enum members with this prefix, as camelCase names: H_LAST_PUBLISH_MONO_NS -> lastPublishMonoNs. */
function cEnum(prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of header.matchAll(new RegExp(`\\b${prefix}_([A-Z_]+) = (\\d+)`, 'g'))) {
    const name = m[1]!.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    out[name] = Number(m[2]);
  }
  return out;
}

describe('docs/protocol.md', () => {
  it('has the data header of src/bus/layout.ts and libvidbus', () => {
    assert.deepEqual(table('### 3.1 Header'), { ...H });
    assert.deepEqual(cEnum('H'), { ...H });
  });

  it('has the slot descriptor', () => {
    assert.deepEqual(table('### 3.2 Slot descriptors'), { ...D });
    assert.deepEqual(cEnum('D'), { ...D });
  });

  it('has the ctl header and the consumer record', () => {
    assert.deepEqual(table('### 4.1 Ctl header'), { ...C });
    assert.deepEqual(cEnum('C'), { ...C });
    const record = table('### 4.2 Consumer record');
    const hold = { seq: record.seq!, sinceMonoNs: record.sinceMonoNs! };
    delete record.seq;
    delete record.sinceMonoNs;
    assert.deepEqual(record, { ...R });
    assert.deepEqual(cEnum('R'), { ...R });
    assert.deepEqual(hold, { seq: 0, sinceMonoNs: 8 });
    assert.deepEqual(cEnum('HOLD'), { seq: 0, since: 8 });
  });

  it('states the constants the code uses', () => {
    assert.match(doc, new RegExp(`\`0x${DATA_MAGIC.toString(16)}\``));
    assert.match(doc, new RegExp(`\`0x${CTL_MAGIC.toString(16)}\``));
    assert.match(doc, new RegExp(`2 to ${MAX_SLOTS}`));
    assert.match(doc, new RegExp(`0 to ${MAX_USER_META}`));
    assert.match(doc, new RegExp(`${HOLDS_PER_RECORD} x ${HOLD_BYTES} bytes`));
    assert.match(doc, new RegExp(`256 \\+ ${RECORD_BYTES} \\* i`));
    assert.match(header, /#define VB_DATA_MAGIC 0x53554256u/);
  });

  it('lists every pixel format with its FourCC', () => {
    for (const f of PIXEL_FORMATS) assert.match(doc, new RegExp(`^\\| ${f} \\| \`${formatInfo(f).fourcc}\` \\|`, 'm'), f);
  });
});
