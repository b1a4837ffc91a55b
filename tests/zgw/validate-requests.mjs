// Validates requests a ZGW client made against the official OpenAPI files
// (tests/zgw/contract/, vendored unmodified; SOURCE.md says how they are read).
//   node validate-requests.mjs RECORDED.jsonl
// Each line of RECORDED.jsonl is one request as the ZGW test server received it:
//   {"method":"POST","path":"/zaken/api/v1/zaken","headers":{...},"body":"<text>"}
// and optionally "expect": "valid" | "invalid" and "violation" (a part of the problem an
// invalid one must be reported for): the validator's own self-test. Prints
// each violation; exits 1 when a request broke the contract (or an expectation failed).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The pinned packages (tests/zgw/package-lock.json), installed by tests/zgw/run into the
// build directory, not beside this file.
const require = createRequire(join(process.env.KETENPOORT_ZGW_MODULES ?? '.', 'package.json'));
const { parse } = require('yaml');
const { $RefParser } = require('@apidevtools/json-schema-ref-parser');
const { OpenAPIBackend } = require('openapi-backend');
const { fullFormats } = require('ajv-formats/dist/formats');

const contract = join(dirname(fileURLToPath(import.meta.url)), 'contract');
const CATALOGI = 'https://raw.githubusercontent.com/vng-Realisatie/catalogi-api/1.2.0/src/openapi.yaml';
const APIS = [
  { prefix: '/zaken/api/v1', file: 'zaken-1.5.1.yaml' },
  { prefix: '/documenten/api/v1', file: 'documenten-1.4.2.yaml' },
];

// OpenAPI 3.0's nullable beside allOf/oneOf (no type of its own), as JSON Schema says it.
function nullableAsJsonSchema(node, seen = new Set()) {
  if (!node || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  for (const value of Object.values(node)) nullableAsJsonSchema(value, seen);
  if ('nullable' in node && node.type === undefined) {
    const nullable = node.nullable;
    delete node.nullable;
    if (nullable === true) {
      const schema = { ...node };
      for (const key of Object.keys(node)) delete node[key];
      node.anyOf = [schema, { type: 'null' }];
    }
  }
}

// OpenAPI's discriminator with a mapping picks the one schema its property names (the
// subschemas need not exclude each other, and in these files they do not): read as an
// if/then per mapped value. Before dereferencing, while the mapping's $refs are still
// names.
function discriminatorAsJsonSchema(node, seen = new Set()) {
  if (!node || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  for (const value of Object.values(node)) discriminatorAsJsonSchema(value, seen);
  const mapping = node.discriminator?.mapping;
  if (!mapping || !Array.isArray(node.oneOf)) return;
  const property = node.discriminator.propertyName;
  const values = Object.keys(mapping);
  node.allOf = [
    ...(node.allOf ?? []),
    { type: 'object', required: [property], properties: { [property]: { enum: values } } },
    ...values.map((value) => ({ if: { properties: { [property]: { const: value } } }, then: { $ref: mapping[value] } })),
  ];
  delete node.oneOf;
  delete node.discriminator;
}

async function validatorFor(file) {
  const catalogi = {
    order: 1,
    canRead: (ref) => ref.url.startsWith(CATALOGI),
    read: () => readFileSync(join(contract, 'catalogi-1.2.0.yaml'), 'utf8'),
  };
  const document = parse(readFileSync(join(contract, file), 'utf8'));
  discriminatorAsJsonSchema(document);
  const definition = await new $RefParser().dereference(document, {
    resolve: { http: false, catalogi },
    dereference: { circular: 'ignore' },
  });
  nullableAsJsonSchema(definition);
  const api = new OpenAPIBackend({
    definition,
    quick: true, // a validator per operation when first asked for
    // Every AJV instance it makes knows the formats the files use (uri, date, uuid, …).
    ajvOpts: { strict: false, allErrors: true, formats: fullFormats },
  });
  await api.init();
  return api;
}

const records = readFileSync(process.argv[2], 'utf8').split('\n').filter((line) => line.trim() !== '');
const apis = new Map();
let broken = 0;
let checked = 0;
for (const [index, line] of records.entries()) {
  const request = JSON.parse(line);
  const where = `${process.argv[2]}:${index + 1}: ${request.method} ${request.path}`;
  const [path, query] = request.path.split('?');
  const spec = APIS.find((a) => path.startsWith(a.prefix + '/'));
  let problems = [];
  if (!spec) {
    problems = ['no ZGW API of the contract serves this path'];
  } else {
    if (!apis.has(spec.file)) apis.set(spec.file, await validatorFor(spec.file));
    const api = apis.get(spec.file);
    const headers = Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    let body;
    try {
      body = request.body === undefined || request.body === '' ? undefined : JSON.parse(request.body);
    } catch {
      problems.push('body is not JSON');
    }
    const operation = api.matchOperation({ method: request.method.toLowerCase(), path: path.slice(spec.prefix.length), headers });
    if (!operation) {
      problems.push('no operation of the contract has this method and path');
    } else if (problems.length === 0) {
      const result = api.validateRequest(
        { method: request.method.toLowerCase(), path: path.slice(spec.prefix.length), query: query ?? '', headers, body },
        operation,
      );
      if (!result.valid) {
        problems = result.errors.map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`);
      }
    }
  }
  ++checked;
  const expected = request.expect ?? 'valid';
  const actual = problems.length === 0 ? 'valid' : 'invalid';
  const forTheReason = !request.violation || problems.some((p) => p.includes(request.violation));
  if (actual !== expected || !forTheReason) {
    ++broken;
    console.log(`${where}: expected ${expected}${request.violation ? ` (${request.violation})` : ''}, found ${actual}`);
    for (const p of problems) console.log(`  ${p}`);
  }
}
console.log(`${checked} request(s) checked against the contract, ${broken} not as expected`);
process.exit(broken === 0 ? 0 : 1);
