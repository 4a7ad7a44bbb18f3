# kiln-completion.bash — bash completion for kiln. Commands and flags come from `kiln help` itself, so
# the completion never drifts from the binary.
#   source scripts/kiln-completion.bash   (or copy it to /etc/bash_completion.d/kiln)

_kiln_commands() {
	kiln help 2>/dev/null | awk '/^Available commands are:/{on=1; next} on && NF==0{exit} on{print $1}'
}

_kiln_flags() {
	kiln help "$1" 2>/dev/null | awk '/^Options:/{on=1; next} on && $1 ~ /^-/{sub(/=.*/, "=", $1); print $1}'
}

_kiln() {
	local cur prev cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in -*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac
	done
	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "$(_kiln_commands) --version --help" -- "$cur"))
		return
	fi
	case $cur in
	-on-error=*)
		COMPREPLY=($(compgen -P "-on-error=" -W "cleanup abort ask run-cleanup-provisioner" -- "${cur#-on-error=}"))
		return ;;
	-var-file=*)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -P "-var-file=" -f -X '!*.pkrvars.hcl' -- "${cur#-var-file=}")
			   $(compgen -P "-var-file=" -d -- "${cur#-var-file=}"))
		return ;;
	-*)
		compopt -o nospace 2>/dev/null
		local f out=()
		for f in $(_kiln_flags "$cmd"); do
			case $f in *=) out+=("$f") ;; *) out+=("$f ") ;; esac
		done
		COMPREPLY=($(compgen -W "${out[*]}" -- "$cur"))
		return ;;
	esac
	case $cmd in
	help) COMPREPLY=($(compgen -W "$(_kiln_commands)" -- "$cur")) ;;
	version | hosts) COMPREPLY=() ;;
	inspect-image)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	*)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -X '!*.hcl' -- "$cur") $(compgen -d -- "$cur")) ;;
	esac
}
complete -F _kiln kiln
