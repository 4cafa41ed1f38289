/**
 * `tokenward completion bash|zsh`: a static completion script, generated from the program's own
 * commands and options so it never falls behind them.
 */
import type { Command } from 'commander';
import { UsageError, type CliIo } from '../io';

/** One command path (`audit verify`) with its options. */
interface Entry {
  readonly path: string;
  readonly options: readonly string[];
}

/** Every leaf command of `program`, with its long options. */
function entries(command: Command, prefix: string[] = []): Entry[] {
  return command.commands.flatMap((sub) => {
    const path = [...prefix, sub.name()];
    const own = sub.options.map((o) => o.long).filter((l): l is string => l !== undefined);
    const here: Entry = { path: path.join(' '), options: [...own, '--help'] };
    return sub.commands.length === 0 ? [here] : [here, ...entries(sub, path)];
  });
}

/** Direct subcommands of each command path (`''` for the top level). */
function children(command: Command, prefix: string[] = []): Map<string, string[]> {
  const map = new Map<string, string[]>();
  map.set(
    prefix.join(' '),
    command.commands.map((c) => c.name()),
  );
  for (const sub of command.commands) {
    for (const [k, v] of children(sub, [...prefix, sub.name()])) map.set(k, v);
  }
  return map;
}

function bash(program: Command): string {
  const cases: string[] = [];
  for (const [path, subs] of children(program)) {
    const options = entries(program).find((e) => e.path === path)?.options ?? ['--help'];
    cases.push(`    "${path}") words_for="${[...subs, ...options].join(' ')}" ;;`);
  }
  return `# bash completion for tokenward: eval "$(tokenward completion bash)"
_tokenward() {
  local cur cmdpath word words_for
  cur="\${COMP_WORDS[COMP_CWORD]}"
  cmdpath=""
  for word in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$word" in
      -*) ;;
      *) case " $(_tokenward_children "$cmdpath") " in
           *" $word "*) cmdpath="\${cmdpath:+$cmdpath }$word" ;;
         esac ;;
    esac
  done
  case "$cmdpath" in
${cases.join('\n')}
    *) words_for="" ;;
  esac
  COMPREPLY=( $(compgen -W "$words_for" -- "$cur") )
  [ \${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=( $(compgen -f -- "$cur") )
}
_tokenward_children() {
  case "$1" in
${[...children(program)].map(([path, subs]) => `    "${path}") echo "${subs.join(' ')}" ;;`).join('\n')}
  esac
}
complete -F _tokenward tokenward
`;
}

function zsh(program: Command): string {
  const cases: string[] = [];
  for (const [path, subs] of children(program)) {
    const options = entries(program).find((e) => e.path === path)?.options ?? ['--help'];
    cases.push(`    "${path}") candidates=(${[...subs, ...options].join(' ')}) ;;`);
  }
  // `words` and `path` are zsh specials (the command line, $PATH): never shadowed here.
  return `#compdef tokenward
# zsh completion for tokenward: eval "$(tokenward completion zsh)" (after compinit)
_tokenward() {
  local cmdpath="" word
  local -a candidates subcommands
  for word in \${words[2,CURRENT-1]}; do
    [[ $word == -* ]] && continue
    subcommands=(\${(s: :)$(_tokenward_children "$cmdpath")})
    (( \${subcommands[(Ie)$word]} )) && cmdpath="\${cmdpath:+$cmdpath }$word"
  done
  case "$cmdpath" in
${cases.join('\n')}
    *) candidates=() ;;
  esac
  if (( \${#candidates} )); then compadd -- $candidates; else _files; fi
}
_tokenward_children() {
  case "$1" in
${[...children(program)].map(([path, subs]) => `    "${path}") print -r -- "${subs.join(' ')}" ;;`).join('\n')}
  esac
}
compdef _tokenward tokenward
`;
}

/**
 * Adds `completion`. Exit code 0: printed; 2: a shell other than bash or zsh.
 *
 * @example `eval "$(tokenward completion bash)"`
 */
export function registerCompletion(program: Command, io: CliIo): void {
  program
    .command('completion')
    .description('Print a shell completion script: eval "$(tokenward completion bash)".')
    .argument('<shell>', 'bash or zsh')
    .action((shell: string) => {
      if (shell === 'bash') io.stdout(bash(program));
      else if (shell === 'zsh') io.stdout(zsh(program));
      else throw new UsageError(`completion: expected bash or zsh, not ${shell}`);
      io.exit(0);
    });
}
