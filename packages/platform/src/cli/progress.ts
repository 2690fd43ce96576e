/**
 * Progress of long steps on stderr (stdout stays for results): a step with its duration, and a countdown for
 * waits. On a terminal the countdown rewrites one line each second; otherwise it prints a line every 10 s.
 */
export function step(message: string): () => void {
  const started = performance.now();
  process.stderr.write(`… ${message}`);
  return () => process.stderr.write(` done (${Math.round(performance.now() - started)} ms)\n`);
}

const plainIntervalSeconds = 10;

export function countdown(message: string, seconds: number): () => void {
  if (seconds <= 0) return () => {};
  const tty = process.stderr.isTTY === true;
  const deadline = Date.now() + seconds * 1000;
  const left = () => Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
  const show = () => process.stderr.write(tty ? `\r… ${message}: ${left()} s left ` : `… ${message}: ${left()} s left\n`);
  show();
  const timer = setInterval(show, (tty ? 1 : plainIntervalSeconds) * 1000).unref();
  return () => {
    clearInterval(timer);
    if (tty) process.stderr.write("\r\x1b[K");
  };
}
