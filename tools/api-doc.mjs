// docs/api.md from src/api/openapi.json: the API's reference is generated from
// the one document the binary serves, never written twice.
// Usage: node tools/api-doc.mjs src/api/openapi.json > docs/api.md
import { readFileSync } from 'node:fs';

const doc = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const out = [];
const ref = (r) => r.replace('#/components/schemas/', '');

function schemaLine(s) {
  if (!s) return '';
  if (s.$ref) return `\`${ref(s.$ref)}\``;
  if (s.type === 'array') return `array of ${schemaLine(s.items)}`;
  return `\`${s.type || 'object'}\``;
}

function schemaTable(name, s) {
  out.push(`### ${name}`, '');
  if (s.description) out.push(s.description, '');
  const req = new Set(s.required || []);
  const props = s.properties || {};
  if (!Object.keys(props).length) { out.push(`Type: ${schemaLine(s)}.`, ''); return; }
  out.push('| field | type | required | description |', '| --- | --- | --- | --- |');
  for (const [k, v] of Object.entries(props)) {
    let t = schemaLine(v);
    if (v.enum) t += ` (one of ${v.enum.map((e) => `\`${e}\``).join(', ')})`;
    if (v.const !== undefined) t += ` (always \`${v.const}\`)`;
    const d = (v.description || (v.properties ? `object: ${Object.keys(v.properties).join(', ')}` : ''))
      .replace(/\|/g, '\\|');
    out.push(`| \`${k}\` | ${t} | ${req.has(k) ? 'yes' : 'no'} | ${d} |`);
  }
  out.push('');
}

out.push(`# ${doc.info.title} ${doc.info.version}`, '');
out.push('Generated from `src/api/openapi.json` by `tools/api-doc.mjs` (`make docs`);',
  'the running binary serves the same document at `GET /openapi.json`.', '');
out.push(doc.info.description, '');
out.push('## Endpoints', '');
for (const [path, item] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(item)) {
    out.push(`### ${method.toUpperCase()} ${path}`, '');
    if (op.summary) out.push(`**${op.summary}.** ${op.description || ''}`.trim(), '');
    for (const p of op.parameters || []) {
      out.push(`- parameter \`${p.name}\` (${p.in}${p.required ? ', required' : ''}): ${p.description || ''}`);
    }
    if (op.requestBody) {
      const c = op.requestBody.content || {};
      for (const [type, m] of Object.entries(c)) out.push(`- request body (${type}): ${schemaLine(m.schema)}`);
    }
    if (out[out.length - 1] !== '') out.push('');
    out.push('| status | meaning | body |', '| --- | --- | --- |');
    for (const [code, r] of Object.entries(op.responses)) {
      const resp = r.$ref ? doc.components.responses[r.$ref.split('/').pop()] : r;
      const body = Object.values(resp.content || {})[0];
      out.push(`| ${code} | ${resp.description} | ${body && body.schema ? schemaLine(body.schema) : ''} |`);
    }
    out.push('');
  }
}
out.push('## Schemas', '');
for (const [name, s] of Object.entries(doc.components.schemas || {})) schemaTable(name, s);
process.stdout.write(out.join('\n'));
