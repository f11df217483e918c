package main

import (
	"fmt"
	"io"
	"strings"
)

var completionCmd = &command{
	name:     "completion",
	args:     "bash|zsh",
	summary:  "print a shell completion script (bash or zsh)",
	noGlobal: true,
	long: `Prints a completion script for the subcommands, their flags, socket types,
event names, option names and file arguments. Load it with:

  bash:  source <(zmqkit completion bash)        # or save it in
         /etc/bash_completion.d/zmqkit
  zsh:   source <(zmqkit completion zsh)         # or save it as _zmqkit
         in a directory of $fpath
`,
	posComp: "bash|zsh",
	define: func(f *flagSet) func(*env, []string) error {
		return func(e *env, pos []string) error {
			if len(pos) != 1 {
				return usagef("which shell? bash or zsh")
			}
			switch pos[0] {
			case "bash":
				writeBash(e.stdout)
			case "zsh":
				writeZsh(e.stdout)
			default:
				return usagef("no completion for %q: bash or zsh", pos[0])
			}
			return nil
		}
	},
}

// cmdFlags returns a command's flag definitions, global ones included.
func cmdFlags(c *command) []*flagDef {
	f := newFlagSet(c.name)
	c.define(f)
	if !c.noGlobal {
		f.section("Global flags")
		var p []string
		f.List(&p, "plugin", "PATH", "load transports and mechanisms from this plugin binary, out of process (also $ZMQKIT_PLUGINS)", "file")
	}
	return f.defs
}

// completionWords lists the words a value or positional completion hint
// stands for; "file" and "dir" come back as nil with ok false.
func completionWords(hint string) (words []string, files bool) {
	switch hint {
	case "":
		return nil, false
	case "file", "dir":
		return nil, true
	case "socktype":
		return socketTypes(), false
	case "event":
		return append([]string{"all"}, eventNames()...), false
	case "sockopt":
		var out []string
		for _, n := range sockoptNames() {
			out = append(out, n+"=")
		}
		return append(out, "help"), false
	case "endpoint":
		return []string{"tcp://", "ipc://", "inproc://", "udp://", "ws://", "wss://", "vmci://", "vsock://", "pgm://", "epgm://"}, false
	}
	return strings.Split(hint, "|"), false
}

func writeBash(w io.Writer) {
	fmt.Fprint(w, `# bash completion for zmqkit: source <(zmqkit completion bash)
_zmqkit() {
	local cur prev sub i
	cur="${COMP_WORDS[COMP_CWORD]}"
	prev="${COMP_WORDS[COMP_CWORD-1]}"
	sub=""
	for ((i = 1; i < COMP_CWORD; i++)); do
		case "${COMP_WORDS[i]}" in
		--plugin|-plugin) ((i++)) ;;
		-*) ;;
		*) sub="${COMP_WORDS[i]}"; break ;;
		esac
	done
	if [[ -z $sub ]]; then
		if [[ $prev == --plugin ]]; then COMPREPLY=($(compgen -f -- "$cur")); return; fi
		COMPREPLY=($(compgen -W "`)
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	fmt.Fprintf(w, "%s help --version --help --plugin", strings.Join(names, " "))
	fmt.Fprint(w, `" -- "$cur"))
		return
	fi
	local flags="" pos=""
	case "$sub" in
`)
	for _, c := range commands {
		defs := cmdFlags(c)
		var flags []string
		for _, d := range defs {
			for _, n := range d.names {
				flags = append(flags, dashed(n))
			}
		}
		flags = append(flags, "--help")
		posWords, _ := completionWords(c.posComp)
		fmt.Fprintf(w, "\t%s)\n\t\tflags=%q\n\t\tpos=%q\n", c.name, strings.Join(flags, " "), strings.Join(posWords, " "))
		fmt.Fprint(w, "\t\tcase \"$prev\" in\n")
		for _, d := range defs {
			if d.metavar == "" {
				continue
			}
			var alts []string
			for _, n := range d.names {
				alts = append(alts, dashed(n))
			}
			words, files := completionWords(d.complete)
			switch {
			case files:
				fmt.Fprintf(w, "\t\t%s) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n", strings.Join(alts, "|"))
			case len(words) > 0:
				fmt.Fprintf(w, "\t\t%s) COMPREPLY=($(compgen -W %q -- \"$cur\")); compopt -o nospace 2>/dev/null; return ;;\n", strings.Join(alts, "|"), strings.Join(words, " "))
			default:
				fmt.Fprintf(w, "\t\t%s) return ;;\n", strings.Join(alts, "|"))
			}
		}
		fmt.Fprint(w, "\t\tesac\n\t\t;;\n")
	}
	fmt.Fprint(w, `	help) pos="`+strings.Join(names, " ")+`" ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$flags" -- "$cur"))
	else
		COMPREPLY=($(compgen -W "$pos" -- "$cur"))
	fi
}
complete -F _zmqkit zmqkit
`)
}

// zshQuote makes a help text safe inside a zsh _arguments spec.
func zshQuote(s string) string {
	r := strings.NewReplacer("[", "(", "]", ")", ":", " -", "'", "", "\\", "")
	s = r.Replace(s)
	if len(s) > 72 {
		if i := strings.LastIndex(s[:72], " "); i > 0 {
			s = s[:i] + "..."
		}
	}
	return s
}

func writeZsh(w io.Writer) {
	fmt.Fprint(w, `#compdef zmqkit
# zsh completion for zmqkit: source <(zmqkit completion zsh), or save as _zmqkit in $fpath
_zmqkit() {
	local -a cmds
	cmds=(
`)
	for _, c := range commands {
		fmt.Fprintf(w, "\t\t'%s:%s'\n", c.name, zshQuote(c.summary))
	}
	fmt.Fprint(w, `		'help:help on a command'
	)
	local i=2
	while (( i < CURRENT )) && [[ $words[i] == -* ]]; do
		[[ $words[i] == --plugin ]] && (( i++ ))
		(( i++ ))
	done
	if (( CURRENT <= i )); then
		if [[ $words[CURRENT-1] == --plugin ]]; then _files; return; fi
		_describe -t commands 'zmqkit command' cmds
		_arguments '--version[print the version]' '--help[print help]' '*--plugin[plugin binary]:plugin:_files'
		return
	fi
	local sub=$words[i]
	(( CURRENT -= i - 1 ))
	shift $(( i - 1 )) words
	case $sub in
`)
	for _, c := range commands {
		fmt.Fprintf(w, "\t%s)\n\t\t_arguments -s \\\n", c.name)
		defs := cmdFlags(c)
		for _, d := range defs {
			var alts []string
			for _, n := range d.names {
				alts = append(alts, dashed(n))
			}
			rep := ""
			if strings.HasSuffix(d.help, "(repeatable)") {
				rep = "*"
			}
			names := alts[0]
			if len(alts) > 1 {
				names = "{" + strings.Join(alts, ",") + "}"
			}
			action := ""
			if d.metavar != "" {
				words, files := completionWords(d.complete)
				switch {
				case files:
					action = ":" + strings.ToLower(d.metavar) + ":_files"
				case len(words) > 0:
					action = ":" + strings.ToLower(d.metavar) + ":(" + strings.Join(words, " ") + ")"
				default:
					action = ":" + strings.ToLower(d.metavar) + ":"
				}
			}
			fmt.Fprintf(w, "\t\t\t'%s'%s'[%s]%s' \\\n", rep, names, zshQuote(d.help), action)
		}
		if c.posComp != "" {
			words, _ := completionWords(c.posComp)
			fmt.Fprintf(w, "\t\t\t'*:arg:(%s)' \\\n", strings.Join(words, " "))
		}
		fmt.Fprint(w, "\t\t\t'--help[print help]'\n\t\t;;\n")
	}
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	fmt.Fprintf(w, "\thelp) _arguments '1:command:(%s)' ;;\n\tesac\n}\n", strings.Join(names, " "))
	fmt.Fprint(w, `if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
	_zmqkit "$@"
else
	compdef _zmqkit zmqkit
fi
`)
}
