package canon

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// dialect is a shell language a command may be written in (policyc/shells.py:
// POSIX, CMD, POWERSHELL); noDialect stands for Python's None.
type dialect int

const (
	noDialect dialect = iota
	posix
	cmdExe
	powerShell
)

// shellNames are the POSIX shells whose -c option wraps a command (SHELLS).
func shellNames(s string) bool {
	switch s {
	case "sh", "bash", "zsh", "dash", "ash", "ksh":
		return true
	}
	return false
}

func cmdNames(s string) bool {
	switch s {
	case "cmd", "cmd.exe":
		return true
	}
	return false
}

func powerShellNames(s string) bool {
	switch s {
	case "powershell", "powershell.exe", "pwsh", "pwsh.exe":
		return true
	}
	return false
}

// goTrim ports callfields.go_trim (Go strings.TrimSpace).
func goTrim(s string) string {
	return strings.TrimSpace(s)
}

// firstWordEnd is the byte index of the first white space (callfields.GO_SPACE)
// in s, or len(s).
func firstWordEnd(s string) int {
	if end := strings.IndexFunc(s, unicode.IsSpace); end >= 0 {
		return end
	}
	return len(s)
}

// dropRunes is Python's s[n:] (n characters, not bytes).
func dropRunes(s string, n int) string {
	for ; n > 0 && s != ""; n-- {
		_, size := utf8.DecodeRuneInString(s)
		s = s[size:]
	}
	return s
}

// base ports shells.base (Go filepath.Base on a slash-separated path).
func base(token string) string {
	if token == "" {
		return "."
	}
	stripped := strings.TrimRight(token, "/")
	if stripped == "" {
		return "/"
	}
	return stripped[strings.LastIndexByte(stripped, '/')+1:]
}

// exeName ports shells.exe_name: the lower-cased base name, `\` read as `/`.
func exeName(token string) string {
	return Lower(base(strings.ReplaceAll(token, `\`, "/")))
}

// isAssignment ports shells.is_assignment (NAME=value), including the
// engine's Latin-1 reading of the name's first byte.
func isAssignment(token string) bool {
	eq := strings.IndexByte(token, '=')
	if eq <= 0 {
		return false
	}
	name := token[:eq]
	for _, c := range name {
		if !isAlpha(c) && !isDecimal(c) && c != '_' {
			return false
		}
	}
	first := rune(name[0])
	return isAlpha(first) || first == '_'
}

// assignedName is the NAME of NAME=value.
func assignedName(token string) string {
	return token[:strings.IndexByte(token, '=')]
}

// headName ports shells._head_name: the first word, quotes trimmed, as an
// executable name.
func headName(command string) string {
	command = goTrim(command)
	return exeName(strings.Trim(command[:firstWordEnd(command)], `"'`))
}

// wrapperDialect ports shells.wrapper_dialect.
func wrapperDialect(command string) dialect {
	name := headName(command)
	switch {
	case cmdNames(name):
		return cmdExe
	case shellNames(name):
		return posix
	case powerShellNames(name):
		return powerShell
	}
	return noDialect
}

// removeCarets ports shells.remove_carets.
func removeCarets(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = strings.ReplaceAll(t, "^", "")
	}
	return out
}

// wrappedBody ports shells._inner: the words from start on, a single word
// re-tokenized in the body's dialect.
func wrappedBody(tokens []string, start int, d dialect) []string {
	if start >= len(tokens) {
		return tokens
	}
	inner := tokens[start:]
	if len(inner) == 1 {
		if words := tokenize(inner[0], d); len(words) > 0 {
			return words
		}
	}
	return inner
}

// stripWrapperOnce ports shells.strip_wrapper_once: one shell wrapper
// (bash -c, cmd /c, powershell -Command) removed, with the body's dialect.
func stripWrapperOnce(tokens []string, d dialect) ([]string, dialect) {
	if len(tokens) < 2 {
		return tokens, d
	}
	head := tokens[0]
	name := exeName(head)
	switch {
	case shellNames(head) || shellNames(base(head)):
		return stripPOSIXWrapper(tokens, d)
	case cmdNames(name):
		return stripCmdWrapper(tokens, d)
	case powerShellNames(name):
		return stripPowerShellWrapper(tokens, d)
	}
	return tokens, d
}

func stripPOSIXWrapper(tokens []string, d dialect) ([]string, dialect) {
	for i := 1; i < len(tokens); i++ {
		tok := tokens[i]
		if !strings.HasPrefix(tok, "-") {
			return tokens, d
		}
		if !strings.HasPrefix(tok, "--") && strings.Contains(tok[1:], "c") {
			return wrappedBody(tokens, i+1, posix), posix
		}
	}
	return tokens, d
}

func stripCmdWrapper(tokens []string, d dialect) ([]string, dialect) {
	for i := 1; i < len(tokens); i++ {
		tok := Lower(tokens[i])
		if tok == "/c" || tok == "/k" {
			return removeCarets(wrappedBody(tokens, i+1, cmdExe)), cmdExe
		}
		if (strings.HasPrefix(tok, "/c") || strings.HasPrefix(tok, "/k")) && utf8.RuneCountInString(tok) > 2 {
			inner := append([]string{dropRunes(tokens[i], 2)}, tokens[i+1:]...)
			if len(inner) == 1 {
				inner = wrappedBody(inner, 0, cmdExe)
			}
			return removeCarets(inner), cmdExe
		}
		if !strings.HasPrefix(tok, "/") {
			return tokens, d
		}
	}
	return tokens, d
}

func stripPowerShellWrapper(tokens []string, d dialect) ([]string, dialect) {
	for i := 1; i < len(tokens); i++ {
		tok := Lower(tokens[i])
		if tok == "-command" || tok == "-c" {
			return wrappedBody(tokens, i+1, powerShell), powerShell
		}
		if !strings.HasPrefix(tok, "-") {
			return tokens, d
		}
	}
	return tokens, d
}
