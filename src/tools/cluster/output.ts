/**
 * The cluster's one terminal: every child's lines, each prefixed with its
 * name in a colour of its own. Colour only on a terminal and without NO_COLOR.
 */
import { styleText } from "node:util";

type Colour = Parameters<typeof styleText>[0];

/** Cycled through by replica position: distinct for up to this many replicas. */
const replicaColours: readonly Colour[] = ["cyan", "magenta", "yellow", "blue", "green", "red", "cyanBright", "magentaBright"];

export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && env.NO_COLOR === undefined;
}

export interface Printer {
  /** Prints one line under `name`'s prefix. */
  line(name: string, position: number, text: string): void;
  /** A line of the cluster tool itself. */
  note(text: string): void;
  warn(text: string): void;
}

export function createPrinter(colour: boolean, nameWidth: number, out: NodeJS.WritableStream = process.stdout): Printer {
  const paint = (style: Colour, text: string) => (colour ? styleText(style, text, { validateStream: false }) : text);
  return {
    line: (name, position, text) => {
      const prefix = `[${name}]`.padEnd(nameWidth + 2);
      out.write(`${paint(replicaColours[position % replicaColours.length]!, prefix)} ${text}\n`);
    },
    note: (text) => out.write(`${paint("bold", "[cluster]")} ${text}\n`),
    warn: (text) => out.write(`${paint("bold", "[cluster]")} ${paint("red", text)}\n`),
  };
}
