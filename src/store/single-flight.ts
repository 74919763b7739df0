// Identical reads in flight at the same moment share one answer: twenty dashboards asking for the same
// queue page in the same second cost ClickHouse one query. Only concurrent calls share (nothing is kept
// once the answer is in), and callers put in the key whatever must not be shared across (the second, a
// write made since).
export type SingleFlight<T> = (scope: object, key: string, run: () => Promise<T>) => Promise<T>;

export function singleFlight<T>(): SingleFlight<T> {
  const flights = new WeakMap<object, Map<string, Promise<T>>>();
  return (scope, key, run) => {
    let inFlight = flights.get(scope);
    if (!inFlight) flights.set(scope, (inFlight = new Map()));
    const running = inFlight.get(key);
    if (running) return running;
    const started = run().finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };
}
