import { Argument, type Command } from 'commander';
import { clientCommand, type Io } from './client-context.js';

/** Every command path (`''`, `nodes`, `nodes rm`, …) with its subcommand names and its flags. */
export function commandTree(program: Command): Map<string, { subcommands: string[]; flags: string[] }> {
  const tree = new Map<string, { subcommands: string[]; flags: string[] }>();
  const visit = (command: Command, path: string) => {
    const subcommands = command.commands.map(sub => sub.name());
    const flags = command.options.flatMap(option => [option.short, option.long]).filter(f => f !== undefined);
    tree.set(path, { subcommands, flags: [...flags, '--help'] });
    for (const sub of command.commands) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, '');
  return tree;
}

const caseArms = (
  tree: ReturnType<typeof commandTree>,
  pick: (entry: { subcommands: string[]; flags: string[] }) => string[],
) => [...tree.entries()].map(([path, entry]) => `    '${path}') echo '${pick(entry).join(' ')}' ;;`).join('\n');

/** A bash completion script: subcommands, then flags of the command typed so far, else file names. */
export function bashCompletion(program: Command): string {
  const tree = commandTree(program);
  const name = program.name();
  return `# ${name} completion for bash: source <(${name} completion bash)
_${name}_subcommands() {
  case "$1" in
${caseArms(tree, e => e.subcommands)}
  esac
}
_${name}_flags() {
  case "$1" in
${caseArms(tree, e => e.flags)}
  esac
}
_${name}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case " $(_${name}_subcommands "$path") " in
      *" $word "*) path="\${path:+$path }$word" ;;
    esac
  done
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(_${name}_flags "$path")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(_${name}_subcommands "$path")" -- "$cur"))
    [[ \${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _${name} ${name}
`;
}

/** zsh runs the same function through its bash-completion layer. */
export function zshCompletion(program: Command): string {
  return `# ${program.name()} completion for zsh: source <(${program.name()} completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program)}`;
}

export function registerCompletionCommand(program: Command, io: Io): void {
  clientCommand(program, 'completion', io)
    .description('print a shell completion script: `source <(modfleet completion bash)` (or zsh)')
    .addArgument(new Argument('<shell>').choices(['bash', 'zsh']))
    .action((shell: 'bash' | 'zsh') => {
      io.stdout.write(shell === 'bash' ? bashCompletion(program) : zshCompletion(program));
    });
}
