#!/usr/bin/env node
// The software bill of materials of what the package ships, run at the end of `npm run build`:
//   dist/sbom.cdx.json   CycloneDX 1.5 JSON: cadguard, every third-party component in dist/, its models
//   dist/THIRD_PARTY.md  the third-party components with versions and licences (a SOUP list, IEC 62304 style)
// `node scripts/sbom.mjs --update-docs` also refreshes the committed copy, docs/THIRD_PARTY.md.
//
// The components are not a hand list. The roots are the packages src/ imports at run time (type-only imports
// excluded) and those rollup.config.mjs copies files from; package-lock.json gives their production dependency
// closure, resolved the way Node resolves (nested node_modules first). Each component then says how it reaches
// dist/: `bundled` (rollup's source maps name its files), `copied` (a dist/ file is byte-identical to one of its
// files: those files are listed with their SHA-256), or `dependency` (in the closure, with nothing of its own in
// dist/: e.g. onnxruntime-web's dependencies, already compiled into its prebuilt bundle, or Node-only code).
// Name, version and licence come from each package's own package.json.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const generated = new Set(['sbom.cdx.json', 'THIRD_PARTY.md']);

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');
const posix = (path) => path.split(sep).join('/');

function filesUnder(folder) {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/** The package a bare import specifier names: `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`. */
const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** Packages imported by src/ at run time: static and dynamic imports of bare specifiers, not `import type`. */
function sourceImports() {
  const names = new Set();
  const pattern = /(?:^|[\s;])import\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'".][^'"]*)['"]|import\(\s*['"]([^'".][^'"]*)['"]\s*\)|export\s+(type\s+)?[^'"]*?\sfrom\s+['"]([^'".][^'"]*)['"]/g;
  for (const file of filesUnder(join(root, 'src')).filter((path) => /\.[cm]?[jt]s$/.test(path))) {
    for (const match of readFileSync(file, 'utf8').matchAll(pattern)) {
      const specifier = match[1] ? null : match[2] ?? match[3] ?? (match[4] ? null : match[5]);
      if (specifier && !specifier.startsWith('node:')) names.add(packageOf(specifier));
    }
  }
  return names;
}

/** Packages the build copies files from: the `node_modules/<package>` paths named in rollup.config.mjs. */
function copiedFrom() {
  const config = readFileSync(join(root, 'rollup.config.mjs'), 'utf8');
  return new Set([...config.matchAll(/node_modules\/((?:@[\w.-]+\/)?[\w.-]+)/g)].map((match) => match[1]));
}

const lock = readJson(join(root, 'package-lock.json'));
if (!lock.packages) throw new Error('package-lock.json has no "packages" (lockfileVersion 2 or 3 needed)');

/** The lock key a dependency of the package at `from` resolves to: nested node_modules first, then upwards. */
function resolveInLock(name, from) {
  for (let base = from; ; ) {
    const key = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (lock.packages[key]) return key;
    if (!base) return null;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

const roots = [...new Set([...sourceImports(), ...copiedFrom()])].sort();
const closure = new Map();
const queue = roots.map((name) => {
  const key = resolveInLock(name, '');
  if (!key) throw new Error(`${name} is used by the build but not installed per package-lock.json: run npm ci`);
  return key;
});
while (queue.length) {
  const key = queue.shift();
  if (closure.has(key)) continue;
  const entry = lock.packages[key];
  closure.set(key, entry);
  for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
    const dependency = resolveInLock(name, key);
    if (dependency) queue.push(dependency);
    else if (!entry.optionalDependencies?.[name]) throw new Error(`${key} depends on ${name}, which package-lock.json does not resolve`);
  }
}

/** The lock key of a path inside node_modules (the innermost package). */
function lockKeyOf(path) {
  const parts = posix(path).split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return null;
  const name = parts[at + 1]?.startsWith('@') ? parts.slice(at + 1, at + 3) : parts.slice(at + 1, at + 2);
  return parts.slice(parts.indexOf('node_modules'), at + 1).concat(name).join('/');
}

// Bundled: the packages rollup's source maps name.
const bundled = new Set();
const distFiles = filesUnder(dist).filter((path) => !generated.has(relative(dist, path)));
for (const map of distFiles.filter((path) => path.endsWith('.js.map'))) {
  for (const source of readJson(map).sources ?? []) {
    const key = lockKeyOf(relative(root, resolve(dirname(map), source)));
    if (key) bundled.add(key);
  }
}

// Copied: dist/ files byte-identical to a file of a component (matched by name, then by SHA-256).
const copied = new Map();
const shipped = distFiles.filter((path) => !path.endsWith('.map') && !path.endsWith('.d.ts'));
const shippedByName = new Map();
for (const path of shipped) {
  const name = path.split(sep).pop();
  shippedByName.set(name, [...(shippedByName.get(name) ?? []), path]);
}
for (const key of closure.keys()) {
  for (const file of filesUnder(join(root, key)).filter((path) => !path.slice(join(root, key).length).includes(`${sep}node_modules${sep}`))) {
    const candidates = shippedByName.get(file.split(sep).pop());
    if (!candidates) continue;
    const digest = sha256(file);
    for (const target of candidates.filter((path) => sha256(path) === digest)) {
      copied.set(key, [...(copied.get(key) ?? []), { path: posix(relative(dist, target)), from: posix(relative(join(root, key), file)), sha256: digest }]);
    }
  }
}

/** CycloneDX licence choice from a package.json `license` (SPDX id or expression) or legacy `licenses`. */
function licences(manifest) {
  const value = manifest.license ?? manifest.licenses;
  if (!value) return [];
  if (typeof value === 'string') {
    return /\s(OR|AND|WITH)\s|[()]/.test(value) ? [{ expression: value }] : [{ license: /^[\w.+-]+$/.test(value) ? { id: value } : { name: value } }];
  }
  return [].concat(value).map((item) => ({ license: { name: item.type ?? String(item) } }));
}
const licenceText = (manifest) => {
  const value = manifest.license ?? manifest.licenses;
  return typeof value === 'string' ? value : [].concat(value ?? []).map((item) => item.type ?? String(item)).join(' / ') || 'unknown';
};

const purl = (name, version) => `pkg:npm/${name.startsWith('@') ? `%40${name.slice(1)}` : name}@${version}`;
const repositoryUrl = (manifest) => {
  const url = typeof manifest.repository === 'string' ? manifest.repository : manifest.repository?.url;
  if (!url) return manifest.homepage ?? null;
  // `owner/repo` and `github:owner/repo` are GitHub shorthands.
  return url.replace(/^git\+/, '').replace(/^(?:github:)?([\w.-]+\/[\w.-]+)$/, 'https://github.com/$1');
};
const supplier = (manifest) => (typeof manifest.author === 'string' ? manifest.author.replace(/\s*[<(].*$/, '') : manifest.author?.name) ?? null;

const components = [...closure.keys()]
  .map((key) => {
    const manifest = readJson(join(root, key, 'package.json'));
    const delivery = [bundled.has(key) && 'bundled', copied.has(key) && 'copied'].filter(Boolean);
    if (!delivery.length) delivery.push('dependency');
    const component = {
      type: 'library',
      'bom-ref': purl(manifest.name, manifest.version),
      name: manifest.name,
      version: manifest.version,
      purl: purl(manifest.name, manifest.version),
      licenses: licences(manifest),
      properties: delivery.map((value) => ({ name: 'cadguard:delivery', value })),
    };
    if (manifest.description) component.description = manifest.description;
    const author = supplier(manifest);
    if (author) component.author = author;
    const integrity = closure.get(key).integrity?.match(/^sha512-(.+)$/);
    if (integrity) component.hashes = [{ alg: 'SHA-512', content: Buffer.from(integrity[1], 'base64').toString('hex') }];
    const repository = repositoryUrl(manifest);
    if (repository) component.externalReferences = [{ type: 'vcs', url: repository }];
    if (copied.has(key)) {
      component.components = copied.get(key).map((file) => ({
        type: 'file',
        'bom-ref': `${component['bom-ref']}#${file.from}`,
        name: `dist/${file.path}`,
        hashes: [{ alg: 'SHA-256', content: file.sha256 }],
        properties: [{ name: 'cadguard:copied-from', value: file.from }],
      }));
    }
    return { key, manifest, delivery, component };
  })
  .sort((a, b) => a.component.name.localeCompare(b.component.name) || a.component.version.localeCompare(b.component.version));

// The models the package ships (dist/models/manifest.json), as CycloneDX machine-learning-model components.
const modelsManifest = join(dist, 'models', 'manifest.json');
const models = existsSync(modelsManifest)
  ? (readJson(modelsManifest).models ?? []).map((model) => {
      const file = join(dist, 'models', model.file);
      return {
        type: 'machine-learning-model',
        'bom-ref': `cadguard-model:${model.id}@${model.version}`,
        name: model.id,
        version: String(model.version),
        description: `${model.role ?? 'model'} (dist/models/${model.file})`,
        hashes: existsSync(file) ? [{ alg: 'SHA-256', content: sha256(file) }] : [],
      };
    })
  : [];

const self = readJson(join(root, 'package.json'));
const ownFiles = shipped
  .filter((path) => ![...copied.values()].flat().some((file) => join(dist, file.path) === path) && !path.includes(`${sep}models${sep}`))
  .map((path) => ({ type: 'file', 'bom-ref': `cadguard:dist/${posix(relative(dist, path))}`, name: `dist/${posix(relative(dist, path))}`, hashes: [{ alg: 'SHA-256', content: sha256(path) }] }))
  .sort((a, b) => a.name.localeCompare(b.name));
const selfRef = purl(self.name, self.version);
const thirdParty = components.map(({ component }) => component);

const bom = {
  bomFormat: 'CycloneDX',
  specVersion: '1.5',
  version: 1,
  metadata: {
    // A reproducible build (SOURCE_DATE_EPOCH) gets a reproducible SBOM.
    timestamp: new Date(process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) * 1000 : Date.now()).toISOString(),
    tools: { components: [{ type: 'application', name: 'cadguard scripts/sbom.mjs', version: self.version }] },
    component: {
      type: 'library',
      'bom-ref': selfRef,
      name: self.name,
      version: self.version,
      description: self.description,
      purl: selfRef,
      licenses: licences(self),
      components: ownFiles,
    },
  },
  components: [...thirdParty, ...models],
  dependencies: [
    { ref: selfRef, dependsOn: [...roots.map((name) => components.find(({ key }) => key === resolveInLock(name, '')).component['bom-ref']), ...models.map((model) => model['bom-ref'])] },
    ...components.map(({ key, component }) => ({
      ref: component['bom-ref'],
      dependsOn: Object.keys({ ...closure.get(key).dependencies, ...closure.get(key).optionalDependencies })
        .map((name) => resolveInLock(name, key))
        .filter(Boolean)
        .map((dependency) => components.find((item) => item.key === dependency).component['bom-ref']),
    })),
  ],
};
// A serial number derived from the content, so the same build gives the same SBOM identity.
const digest = createHash('sha256').update(JSON.stringify({ ...bom, metadata: { ...bom.metadata, timestamp: null } })).digest('hex');
bom.serialNumber = `urn:uuid:${digest.slice(0, 8)}-${digest.slice(8, 12)}-5${digest.slice(13, 16)}-${((parseInt(digest[16], 16) & 3) | 8).toString(16)}${digest.slice(17, 20)}-${digest.slice(20, 32)}`;

const deliveries = { copied: 'files copied into dist/', bundled: 'bundled into dist/ by rollup', dependency: 'dependency of a shipped component; nothing of its own in dist/' };
const escape = (text) => String(text).replace(/\|/g, '\\|');
const thirdPartyMd = `# Third-party software in cadguard ${self.version}

Generated by \`scripts/sbom.mjs\` from package-lock.json and the built \`dist/\` (do not edit; run
\`npm run build && node scripts/sbom.mjs --update-docs\` to refresh the committed copy). The machine-readable
list, with purls and the SHA-256 of every file copied into \`dist/\`, is \`dist/sbom.cdx.json\` (CycloneDX 1.5).

cadguard itself is ${licenceText(self)}. Its third-party components (software of unknown provenance, in
IEC 62304 terms), each as shipped in \`dist/\`:

| Component | Version | Licence | Supplier | How it ships | Source |
| --- | --- | --- | --- | --- | --- |
${components
  .map(({ manifest, delivery }) => `| ${escape(manifest.name)} | ${escape(manifest.version)} | ${escape(licenceText(manifest))} | ${escape(supplier(manifest) ?? '')} | ${delivery.join(', ')} | ${escape(repositoryUrl(manifest) ?? '')} |`)
  .join('\n')}

How it ships: ${Object.entries(deliveries).map(([key, text]) => `**${key}**: ${text}`).join('; ')}.

Files copied into \`dist/\` unchanged:

| File | From | SHA-256 |
| --- | --- | --- |
${components
  .flatMap(({ manifest, key }) => (copied.get(key) ?? []).map((file) => `| dist/${file.path} | ${manifest.name}@${manifest.version}/${file.from} | \`${file.sha256}\` |`))
  .join('\n')}

cadguard's own models (\`dist/models/\`) are listed in the SBOM as machine-learning-model components with their
SHA-256; models/MODEL_CARD.md describes their training data and terms.
`;

mkdirSync(dist, { recursive: true });
writeFileSync(join(dist, 'sbom.cdx.json'), `${JSON.stringify(bom, null, 2)}\n`);
writeFileSync(join(dist, 'THIRD_PARTY.md'), thirdPartyMd);
if (process.argv.includes('--update-docs')) writeFileSync(join(root, 'docs', 'THIRD_PARTY.md'), thirdPartyMd);
console.log(`sbom: ${thirdParty.length} third-party components (${bundled.size} bundled, ${copied.size} with files copied), ${models.length} models -> dist/sbom.cdx.json, dist/THIRD_PARTY.md`);
