// A progress bar on stderr. On a terminal it redraws one line; in a log (not a TTY) it prints a line per 5 %
// step, so a CI log shows progress without thousands of lines.

/**
 * @param {number} total rows to run
 * @param {NodeJS.WriteStream} stream
 */
export function createProgress(total, stream = process.stderr) {
  const width = 30;
  const started = Date.now();
  let lastStep = -1;
  const line = (done, detail) => {
    const filled = total > 0 ? Math.round((done / total) * width) : width;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${seconds}s ${detail}`;
  };
  return {
    /** Reports `done` rows finished; `detail` names the last one. */
    update(done, detail = '') {
      if (stream.isTTY) {
        const text = line(done, detail).slice(0, (stream.columns || 100) - 1);
        stream.write(`\r\x1b[2K${text}`);
        return;
      }
      const step = Math.floor((done / Math.max(total, 1)) * 20);
      if (step !== lastStep || done === total) {
        lastStep = step;
        stream.write(`${line(done, detail)}\n`);
      }
    },
    /** Ends the bar's line on a terminal. */
    done() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}
