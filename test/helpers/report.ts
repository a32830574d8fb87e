// Figures a test prints beside its verdict (`# fault: …`), for docs/reliability.md and for
// judging allowances against what was measured.
export function report(line: string, topic = 'fault'): void {
  process.stdout.write(`# ${topic}: ${line}\n`);
}
