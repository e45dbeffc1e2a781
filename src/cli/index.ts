#!/usr/bin/env node
import { program } from './program.js';

const io = {
  out: (s: string) => process.stdout.write(`${s}\n`),
  err: (s: string) => process.stderr.write(`${s}\n`),
};
process.exitCode = await program(io).run(process.argv.slice(2));
