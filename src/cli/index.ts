#!/usr/bin/env node
import { program } from './program.js';

const io = {
  out: (s: string) => process.stdout.write(`${s}\n`),
  err: (s: string) => process.stderr.write(`${s}\n`),
};
// No top-level await: the file is also built as CommonJS with the other entry points.
void program(io)
  .run(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
