// Counts event-loop turns (one setImmediate chain) while a sliced job runs: proof that it let the
// loop run, without any timing. `onTurn` sees each turn (e.g. to look at what a query would see).
export function countTurns(onTurn?: (turn: number) => void): () => number {
  let turns = 0;
  let running = true;
  const tick = (): void => {
    if (!running) return;
    turns++;
    onTurn?.(turns);
    setImmediate(tick);
  };
  setImmediate(tick);
  return () => {
    running = false;
    return turns;
  };
}
