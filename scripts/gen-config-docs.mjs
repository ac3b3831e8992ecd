#!/usr/bin/env node
// Writes docs/configuration.md from the settings schema (npm run docs). A test renders the
// same text from src/ and fails when the committed file is out of date.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * @param {{ settingLeaves: () => Array<{key: string, env: string, kind: string, description: string, defaultValue: unknown, secret: boolean, schema: any}>, sectionDescriptions: () => Record<string, string> }} introspect
 * @returns {string}
 */
export function renderConfigDocs(introspect) {
  const leaves = introspect.settingLeaves();
  const sections = introspect.sectionDescriptions();
  const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const typeOf = (leaf) => {
    if (leaf.kind === 'enum')
      return Object.values(leaf.schema._zod.def.entries ?? {})
        .map((v) => `\`${v}\``)
        .join(' \\| ');
    if (leaf.kind === 'json') return 'JSON';
    return leaf.kind;
  };
  const defaultOf = (leaf) => (leaf.defaultValue === undefined ? '—' : `\`${cell(JSON.stringify(leaf.defaultValue))}\``);
  const out = [
    '# Configuration',
    '',
    '<!-- Generated from the settings schema by `npm run docs` (scripts/gen-config-docs.mjs). Do not edit by hand: a test fails when this file and the schema differ. -->',
    '',
    'Hearth reads its settings from, lowest to highest:',
    '',
    '1. the defaults below;',
    '2. the YAML file: `--config FILE`, else `HEARTH_CONFIG`, else `config/hearth.yaml` in the working directory if it exists (the installer uses `/etc/hearth/hearth.yaml`; a commented example is `config/hearth.example.yaml`);',
    '3. environment variables, one per key (`HEARTH_` + section + key in capitals), plus the short forms `HEARTH_DATA_DIR` (`hub.data_dir`) and `HEARTH_LOG_LEVEL` (`hub.log_level`); numbers, booleans (`true/false/1/0/yes/no/on/off`) and JSON values are parsed by the type the key expects;',
    '4. command-line flags (`--data DIR`, `--demo`);',
    '5. the settings the owner changes while the hub runs (`PATCH /api/v1/settings`, stored in the database; `hearth settings reset` clears them).',
    '',
    'Every value is checked against the schema at start-up. Unknown keys are errors, so that a typo does not silently do nothing. A bad value stops the hub with exit code 78 and a message naming the key, the value, where it came from and what is expected. `hearth doctor` runs the same checks without starting.',
    '',
    'Keys marked **secret** are never logged, are shown as `[secret]` in `GET /api/v1/settings` and support diagnostics, and are left out of audit entries.',
    '',
  ];
  const top = leaves.filter((l) => !l.key.includes('.'));
  for (const leaf of top) {
    out.push(`\`${leaf.key}\` (${typeOf(leaf)}, default ${defaultOf(leaf)}, env \`${leaf.env}\`): ${cell(leaf.description)}`, '');
  }
  for (const [section, description] of Object.entries(sections)) {
    const rows = leaves.filter((l) => l.key.startsWith(`${section}.`));
    out.push(`## \`${section}\``, '', cell(description), '');
    if (rows.length === 0) {
      out.push('No settings yet.', '');
      continue;
    }
    out.push('| key | type | default | environment | description |', '| --- | --- | --- | --- | --- |');
    for (const leaf of rows) {
      const secret = leaf.secret ? ' **secret**' : '';
      out.push(`| \`${leaf.key}\` | ${typeOf(leaf)} | ${defaultOf(leaf)} | \`${leaf.env}\` | ${cell(leaf.description)}${secret} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

export const CONFIG_DOCS = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const introspect = await import(new URL('../dist/config/introspect.js', import.meta.url).href);
  writeFileSync(CONFIG_DOCS, renderConfigDocs(introspect));
  process.stdout.write(`wrote ${CONFIG_DOCS}\n`);
}
