// The software bill of materials the build writes (scripts/sbom.mjs): dist/sbom.cdx.json is CycloneDX 1.5 JSON that
// names cadguard and every third-party component in dist/ with its exact installed version, purl and licence, and
// the SHA-256 of each file copied into dist/ matches the file served; docs/THIRD_PARTY.md is the generated list.
import { assert, sha256Hex } from './support/helpers.js';

interface Hash {
  alg: string;
  content: string;
}
interface Component {
  type: string;
  'bom-ref': string;
  name: string;
  version?: string;
  purl?: string;
  licenses?: ({ license: { id?: string; name?: string } } | { expression: string })[];
  hashes?: Hash[];
  properties?: { name: string; value: string }[];
  components?: Component[];
}
interface Bom {
  bomFormat: string;
  specVersion: string;
  serialNumber: string;
  version: number;
  metadata: { timestamp: string; component: Component };
  components: Component[];
  dependencies: { ref: string; dependsOn: string[] }[];
}

const json = async <T>(path: string): Promise<T> => {
  const response = await fetch(path);
  assert(response.ok, `${path}: HTTP ${response.status}`);
  return response.json() as Promise<T>;
};
const text = async (path: string) => {
  const response = await fetch(path);
  assert(response.ok, `${path}: HTTP ${response.status}`);
  return response.text();
};
const installedVersion = async (name: string) => (await json<{ version: string }>(`/node_modules/${name}/package.json`)).version;
const purlOf = (name: string, version: string) => `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;
const delivery = (component: Component) => (component.properties ?? []).filter((p) => p.name === 'cadguard:delivery').map((p) => p.value);

describe('SBOM', () => {
  let bom: Bom;
  before(async () => {
    bom = await json<Bom>('/dist/sbom.cdx.json');
  });

  it('is CycloneDX 1.5 JSON describing this package', async () => {
    assert(bom.bomFormat === 'CycloneDX' && bom.specVersion === '1.5' && bom.version === 1, `${bom.bomFormat} ${bom.specVersion}`);
    assert(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(bom.serialNumber), `serialNumber ${bom.serialNumber}`);
    assert(!Number.isNaN(Date.parse(bom.metadata.timestamp)), 'timestamp');
    const self = await json<{ name: string; version: string; license: string }>('/package.json');
    const { component } = bom.metadata;
    assert(component.name === self.name && component.version === self.version && component.purl === purlOf(self.name, self.version), 'metadata.component is the package');
    assert(JSON.stringify(component.licenses) === JSON.stringify([{ license: { id: self.license } }]), 'the package licence');
    assert(component.components!.some((file) => file.name === 'dist/index.js' && /^[0-9a-f]{64}$/.test(file.hashes![0].content)), 'its own dist files, hashed');
  });

  it('lists every third-party component with its installed version, purl and licence', async () => {
    const lock = await json<{ packages: Record<string, { version?: string }> }>('/package-lock.json');
    const locked = new Set(Object.entries(lock.packages).map(([key, entry]) => `${key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${entry.version}`));
    const libraries = bom.components.filter((component) => component.type === 'library');
    assert(libraries.length > 0, 'components');
    for (const component of libraries) {
      assert(component.version && locked.has(`${component.name}@${component.version}`), `${component.name}: version ${component.version} is the one package-lock.json installs`);
      assert(component.purl === purlOf(component.name, component.version!) && component['bom-ref'] === component.purl, `${component.name}: purl ${component.purl}`);
      assert(component.licenses && component.licenses.length > 0, `${component.name}: a licence`);
      assert(delivery(component).length > 0, `${component.name}: how it ships`);
    }
    const ort = libraries.find((component) => component.name === 'onnxruntime-web');
    assert(ort, 'onnxruntime-web is listed');
    assert(ort.version === (await installedVersion('onnxruntime-web')), `onnxruntime-web ${ort.version} is the installed version`);
    assert(delivery(ort).includes('copied'), 'onnxruntime-web ships as copied files');
    const byName = new Map(libraries.map((component) => [component.name, component]));
    for (const name of ['comlink', 'fast-png', 'fflate', 'iobuffer', 'dicom-parser', 'jpeg-lossless-decoder-js', '@cornerstonejs/codec-openjpeg', '@cornerstonejs/codec-charls', '@cornerstonejs/codec-libjpeg-turbo-8bit', '@cornerstonejs/codec-openjph']) {
      assert(byName.has(name) && delivery(byName.get(name)!).includes('bundled'), `${name} is listed as bundled`);
    }
    for (const devOnly of ['rollup', 'typescript', '@web/test-runner', '@cornerstonejs/core', '@cornerstonejs/dicom-image-loader']) {
      assert(!byName.has(devOnly), `${devOnly} (build, test or example only) is not listed`);
    }
    const refs = new Set([bom.metadata.component['bom-ref'], ...bom.components.map((component) => component['bom-ref'])]);
    for (const { ref, dependsOn } of bom.dependencies) {
      assert(refs.has(ref) && dependsOn.every((dependency) => refs.has(dependency)), `dependency graph: ${ref}`);
    }
  });

  it('hashes each file copied into dist/ as it is served', async function () {
    this.timeout(120_000);
    const files = bom.components.flatMap((component) => component.components ?? []);
    assert(files.some((file) => file.name === 'dist/ort-wasm-simd-threaded.asyncify.wasm'), 'the onnxruntime WASM is listed');
    // The test server rewrites the imports of the JavaScript it serves, so only the other files (the .wasm) come
    // back byte for byte and are re-hashed here; a JavaScript file must carry a SHA-256.
    for (const file of files) {
      const hash = file.hashes!.find((h) => h.alg === 'SHA-256')!.content;
      assert(/^[0-9a-f]{64}$/.test(hash), `${file.name}: a SHA-256`);
      if (/\.m?js$/.test(file.name)) continue;
      const response = await fetch(`/${file.name}`);
      assert(response.ok, `${file.name} is in dist/`);
      assert((await sha256Hex(new Uint8Array(await response.arrayBuffer()))) === hash, `${file.name}: SHA-256 ${hash}`);
    }
    for (const model of bom.components.filter((component) => component.type === 'machine-learning-model')) {
      assert(/^[0-9a-f]{64}$/.test(model.hashes?.[0]?.content ?? ''), `model ${model.name} hashed`);
    }
  });

  it('writes THIRD_PARTY.md, and the committed docs/THIRD_PARTY.md is current', async () => {
    const generated = await text('/dist/THIRD_PARTY.md');
    for (const component of bom.components.filter((c) => c.type === 'library')) {
      assert(generated.includes(`| ${component.name} | ${component.version} |`), `${component.name} ${component.version} in THIRD_PARTY.md`);
    }
    const committed = await text('/docs/THIRD_PARTY.md');
    assert(committed === generated, 'docs/THIRD_PARTY.md differs from the build\'s: run `npm run build && node scripts/sbom.mjs --update-docs` and commit it');
  });
});
