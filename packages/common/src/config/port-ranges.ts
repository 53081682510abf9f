/** Inclusive port ranges, such as RS's database range `10000-10049,10051-19999`. */
export type PortRanges = readonly (readonly [number, number])[];

export const RS_DB_PORT_RANGES = '10000-10049,10051-19999';

const isPort = (value: number) => Number.isInteger(value) && value >= 1 && value <= 65535;

/** `a-b,c,d-e` → ranges; undefined when any piece is not a port or a low-high pair of ports. */
export function parsePortRanges(text: string): PortRanges | undefined {
  const ranges: [number, number][] = [];
  for (const piece of text.split(',')) {
    const match = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(piece);
    if (!match) return undefined;
    const low = Number(match[1]);
    const high = match[2] === undefined ? low : Number(match[2]);
    if (!isPort(low) || !isPort(high) || high < low) return undefined;
    ranges.push([low, high]);
  }
  return ranges;
}

/** Every port of the ranges, in order, lazily (RS's range holds 9,999 of them). */
export function* portsOf(ranges: PortRanges): Generator<number> {
  for (const [low, high] of ranges) for (let port = low; port <= high; port++) yield port;
}

export const inPortRanges = (ranges: PortRanges, port: number) =>
  ranges.some(([low, high]) => port >= low && port <= high);
