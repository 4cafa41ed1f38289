#!/usr/bin/env node
/** Entry point of the `tokenward` binary. */
import { CommanderError } from 'commander';
import { PROCESS_IO, UsageError } from './io';
import { createProgram } from './program';

createProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    // commander printed its own message (usage errors, --help); anything else is one line,
    // never a stack trace of user input.
    if (error instanceof CommanderError) {
      PROCESS_IO.exit(error.exitCode === 0 ? 0 : 2);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    PROCESS_IO.stderr(`tokenward: ${error instanceof UsageError ? '' : 'error: '}${message}\n`);
    PROCESS_IO.exit(2);
  });
