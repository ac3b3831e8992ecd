import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as introspect from '../../src/config/introspect.js';
import { renderConfigDocs, CONFIG_DOCS } from '../../scripts/gen-config-docs.mjs';
import { REPO } from '../helpers/hub.js';

describe('docs/configuration.md', () => {
  it('is generated from the current schema (run `npm run docs` when this fails)', () => {
    const committed = readFileSync(CONFIG_DOCS, 'utf8');
    expect(committed).toBe(renderConfigDocs(introspect));
  });

  it('names every setting with its environment variable, and marks the secrets', () => {
    const text = readFileSync(CONFIG_DOCS, 'utf8');
    for (const leaf of introspect.settingLeaves()) {
      expect(text).toContain(`\`${leaf.key}\``);
      expect(text).toContain(`\`${leaf.env}\``);
    }
    expect(text).toMatch(/`telegram\.token`.*\*\*secret\*\*/);
    expect(text).toMatch(/`link\.password`.*\*\*secret\*\*/);
  });

  it('the example config mentions every section', () => {
    const example = readFileSync(join(REPO, 'config/hearth.example.yaml'), 'utf8');
    for (const section of Object.keys(introspect.sectionDescriptions())) {
      expect(example, section).toMatch(new RegExp(`^(# )?${section}:`, 'm'));
    }
  });
});
