package canon

import (
	"regexp"
	"slices"
	"strings"
)

// Transparent executors (env, nohup, timeout, ...) and the repeated
// unwrapping of a segment's words (canonicalize._unwrap and helpers).

var (
	timeoutDuration = regexp.MustCompile(`^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[smhd]?$`)
	stdbufMode      = regexp.MustCompile(`^(?:0|L|B|[0-9]+(?:[kKmMgGtTpPeEzZyY](?:i?[bB])?)?)$`)
)

type unwrapper func([]string) []string

// executors maps an executor's base name (exact case) to its unwrapper
// (_EXECUTORS).
func executors(name string) unwrapper {
	switch name {
	case "command":
		return unwrapCommand
	case "exec":
		return unwrapExec
	case "env":
		return unwrapEnv
	case "nohup":
		return unwrapNohup
	case "nice":
		return unwrapNice
	case "timeout":
		return unwrapTimeout
	case "setsid":
		return unwrapSetsid
	case "stdbuf":
		return unwrapStdbuf
	}
	return nil
}

func isSignedDecimal(v string) bool {
	if strings.HasPrefix(v, "+") || strings.HasPrefix(v, "-") {
		v = v[1:]
	}
	return v != "" && strings.Trim(v, "0123456789") == ""
}

func isDuration(v string) bool {
	return v == "inf" || v == "infinity" || timeoutDuration.MatchString(v)
}

func isSignal(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return v != ""
}

func isStdbufMode(v string) bool {
	return stdbufMode.MatchString(v)
}

// onlyOf: s is non-empty and made only of bytes in set.
func onlyOf(s, set string) bool {
	return s != "" && strings.Trim(s, set) == ""
}

// afterDashDash is the command after a -- at i, or the tokens unchanged.
func afterDashDash(t []string, i int) []string {
	if i+1 < len(t) {
		return t[i+1:]
	}
	return t
}

// operand is the command starting at i, unless tok (t[i]) is an option the
// executor does not know: then the executor stays.
func operand(t []string, i int) []string {
	if strings.HasPrefix(t[i], "-") {
		return t
	}
	return t[i:]
}

func unwrapCommand(t []string) []string {
	for i := 1; i < len(t); i++ {
		switch t[i] {
		case "--":
			return afterDashDash(t, i)
		case "-p":
			continue
		}
		return operand(t, i)
	}
	return t
}

func unwrapExec(t []string) []string {
	for i := 1; i < len(t); {
		tok := t[i]
		switch {
		case tok == "--":
			return afterDashDash(t, i)
		case tok == "-a":
			if i+1 >= len(t) {
				return t
			}
			i += 2
		case len(tok) >= 2 && tok[0] == '-' && onlyOf(tok[1:], "cl"):
			i++
		default:
			return operand(t, i)
		}
	}
	return t
}

func unwrapEnv(t []string) []string {
	for i := 1; i < len(t); {
		tok := t[i]
		switch {
		case tok == "--":
			i++
			for i < len(t) && isAssignment(t[i]) {
				i++
			}
			if i < len(t) {
				return t[i:]
			}
			return t
		case tok == "-i" || tok == "--ignore-environment" || tok == "-0" || tok == "--null" ||
			tok == "-v" || tok == "--debug":
			i++
		case tok == "-u" || tok == "--unset" || tok == "-C" || tok == "--chdir" || tok == "--argv0":
			if i+1 >= len(t) {
				return t
			}
			i += 2
		case hasAnyPrefix(tok, "--unset=", "--chdir=", "--argv0="):
			i++
		case strings.HasPrefix(tok, "-u") && len(tok) > 2 && !strings.Contains(tok[2:], "="):
			i++
		case strings.HasPrefix(tok, "-C") && len(tok) > 2:
			i++
		case tok == "-S" || tok == "--split-string" || strings.HasPrefix(tok, "--split-string=") ||
			strings.HasPrefix(tok, "-S") && len(tok) > 2:
			return splitString(t, i)
		case isAssignment(tok):
			i++
		default:
			return operand(t, i)
		}
	}
	return t
}

// splitString is env -S STRING (or -SSTRING, --split-string[=]STRING) at i:
// the string split into words in place.
func splitString(t []string, i int) []string {
	tok := t[i]
	var body string
	var rest []string
	switch {
	case tok == "-S" || tok == "--split-string":
		if i+1 >= len(t) {
			return t
		}
		body, rest = t[i+1], t[i+2:]
	case strings.HasPrefix(tok, "--"):
		body, rest = tok[strings.IndexByte(tok, '=')+1:], t[i+1:]
	default:
		body, rest = tok[2:], t[i+1:]
	}
	words := tokenizePOSIX(body)
	if len(words) == 0 {
		return t
	}
	return concat(t[:i], words, rest)
}

func unwrapNohup(t []string) []string {
	if t[1] == "--" {
		return afterDashDash(t, 1)
	}
	return operand(t, 1)
}

func unwrapNice(t []string) []string {
	for i := 1; i < len(t); {
		tok := t[i]
		switch {
		case tok == "--":
			return afterDashDash(t, i)
		case tok == "-n" || tok == "--adjustment":
			if i+1 >= len(t) || !isSignedDecimal(t[i+1]) {
				return t
			}
			i += 2
		case strings.HasPrefix(tok, "--adjustment="):
			if !isSignedDecimal(tok[len("--adjustment="):]) {
				return t
			}
			i++
		case strings.HasPrefix(tok, "-n") && len(tok) > 2:
			if !isSignedDecimal(strings.TrimPrefix(tok[2:], "=")) {
				return t
			}
			i++
		case len(tok) > 1 && tok[0] == '-' && isSignedDecimal(tok):
			i++
		default:
			return operand(t, i)
		}
	}
	return t
}

// timeoutValueOptions are timeout's options taking a value: short, long,
// and the value's check.
var timeoutValueOptions = []struct {
	short, long string
	ok          func(string) bool
}{{"-k", "--kill-after", isDuration}, {"-s", "--signal", isSignal}}

func unwrapTimeout(t []string) []string {
	i := 1
options:
	for i < len(t) {
		tok := t[i]
		switch tok {
		case "--":
			i++
			break options
		case "--help", "--version":
			return t
		case "--preserve-status", "--foreground", "--verbose", "-v":
			i++
			continue
		}
		step, known := timeoutOption(t, i)
		switch {
		case !known && strings.HasPrefix(tok, "-"), known && step == 0:
			return t
		case !known:
			break options
		}
		i += step
	}
	if i+1 >= len(t) || !isDuration(t[i]) {
		return t
	}
	return t[i+1:]
}

// timeoutOption reads a -k/-s option at i: (words taken, or 0 when its value
// is bad; whether t[i] is such an option).
func timeoutOption(t []string, i int) (int, bool) {
	tok := t[i]
	for _, opt := range timeoutValueOptions {
		if tok == opt.short || tok == opt.long {
			if i+1 >= len(t) || !opt.ok(t[i+1]) {
				return 0, true
			}
			return 2, true
		}
		long := strings.HasPrefix(tok, opt.long+"=")
		if long || strings.HasPrefix(tok, opt.short) && len(tok) > 2 {
			value := tok[2:]
			if long {
				value = tok[len(opt.long)+1:]
			}
			if !opt.ok(value) {
				return 0, true
			}
			return 1, true
		}
	}
	return 0, false
}

func unwrapSetsid(t []string) []string {
	for i := 1; i < len(t); i++ {
		tok := t[i]
		if tok == "--" {
			return afterDashDash(t, i)
		}
		if tok == "--ctty" || tok == "--fork" || tok == "--wait" ||
			len(tok) >= 2 && tok[0] == '-' && tok[1] != '-' && onlyOf(tok[1:], "cfw") {
			continue
		}
		return operand(t, i)
	}
	return t
}

func unwrapStdbuf(t []string) []string {
	for i := 1; i < len(t); {
		tok := t[i]
		switch {
		case tok == "--":
			return afterDashDash(t, i)
		case tok == "-i" || tok == "-o" || tok == "-e" || tok == "--input" || tok == "--output" || tok == "--error":
			if i+1 >= len(t) || !isStdbufMode(t[i+1]) {
				return t
			}
			i += 2
		case hasAnyPrefix(tok, "--input=", "--output=", "--error=") && isStdbufMode(tok[strings.IndexByte(tok, '=')+1:]):
			i++
		case len(tok) > 2 && tok[0] == '-' && strings.IndexByte("ioe", tok[1]) >= 0:
			mode := tok[2:]
			if tok[2] == '=' {
				mode = tok[3:]
			}
			if !isStdbufMode(mode) {
				return t
			}
			i++
		default:
			return operand(t, i)
		}
	}
	return t
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// unwrapExecutor ports canonicalize._unwrap_executor: one transparent
// executor removed (name compared case-sensitively).
func unwrapExecutor(t []string) []string {
	if len(t) < 2 {
		return t
	}
	if unwrap := executors(base(strings.ReplaceAll(t[0], `\`, "/"))); unwrap != nil {
		return unwrap(t)
	}
	return t
}

// stripAssignments ports canonicalize._strip_assignments.
func stripAssignments(t []string) []string {
	i := 0
	for i < len(t) && isAssignment(t[i]) {
		i++
	}
	return t[i:]
}

// isAttachedRedirection ports canonicalize._is_attached_redirection
// (2>/dev/null, >>log).
func isAttachedRedirection(tok string) bool {
	i := 0
	for i < len(tok) && '0' <= tok[i] && tok[i] <= '9' {
		i++
	}
	if i >= len(tok) || (tok[i] != '<' && tok[i] != '>') {
		return false
	}
	i++
	if i < len(tok) && tok[i] == tok[i-1] {
		i++
	}
	return i < len(tok)
}

// stripRedirections ports canonicalize._strip_redirections: leading
// redirections dropped.
func stripRedirections(t []string) []string {
	for len(t) > 0 {
		switch {
		case t[0] == ">" || t[0] == ">>" || t[0] == "<" || t[0] == "<<":
			if len(t) < 2 {
				return nil
			}
			t = t[2:]
		case isAttachedRedirection(t[0]):
			t = t[1:]
		default:
			return t
		}
	}
	return t
}

// unwrap ports canonicalize._unwrap: leading assignments, one executor (in
// POSIX words) and one shell wrapper removed, repeatedly.
func unwrap(tokens []string, d dialect) []string {
	for {
		next := stripAssignments(tokens)
		if d == posix {
			next = unwrapExecutor(next)
		}
		next, nextDialect := stripWrapperOnce(next, d)
		if slices.Equal(next, tokens) {
			return tokens
		}
		tokens, d = next, nextDialect
	}
}

// concat is a new slice holding the parts in order (never aliasing them).
func concat(parts ...[]string) []string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]string, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
