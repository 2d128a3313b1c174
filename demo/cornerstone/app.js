// The example page: one guard for the page, one Cornerstone3D viewer; a DICOM picked or dropped is shown with its
// CAD marks only when cadguard says `show`. `?manifest=URL` checks with another model manifest.
import { createGuard } from 'cadguard';
import { createCadViewer } from './viewer.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const setStatus = (state, text) => {
  document.body.dataset.state = state;
  $('status').textContent = text;
};

async function main() {
  setStatus('starting', 'Starting the guard…');
  const guard = await createGuard(params.has('manifest') ? { manifestUrl: params.get('manifest') } : {});
  const viewer = await createCadViewer($('viewer'), { guard });
  setStatus('ready', 'Pick or drop a DICOM mammogram.');

  const open = async (file) => {
    setStatus('checking', `Checking ${file.name}…`);
    const { report, error } = await viewer.open(file);
    setStatus('done', error ? `${file.name}: ${error.code ?? error.name}: ${error.message}` : `${file.name}: ${report.decision} (integrity ${report.integrity.verdict}, CAD score ${report.cad.score.toFixed(3)}, ${report.backend})`);
  };
  $('file').addEventListener('change', () => $('file').files[0] && open($('file').files[0]));
  $('viewer').addEventListener('dragover', (event) => event.preventDefault());
  $('viewer').addEventListener('drop', (event) => {
    event.preventDefault();
    const file = event.dataTransfer.files[0];
    if (file) open(file);
  });
}

main().catch((error) => setStatus('error', `${error.code ?? error.name}: ${error.message}`));
