#!/usr/bin/env node
/** Entry point of the `tokenward` binary. */
import { CommanderError } from 'commander';
import { createProgram } from './program';

createProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    // commander has printed its own message (usage errors, --help); anything else is reported
    // in one line, never as a stack trace of user input.
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`tokenward: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  });
