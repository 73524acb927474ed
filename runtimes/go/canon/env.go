package canon

import (
	"bytes"
	"slices"
	"strings"
)

// maxEnvDepth bounds the wrapper and substitution levels env names are
// collected from (env_assignment_names).
const maxEnvDepth = 4

var setEnvMethods = []string{
	"[environment]::setenvironmentvariable",
	"[system.environment]::setenvironmentvariable",
}

// validName ports shells._valid_name: letters, digits and _, not starting
// with a digit (per character).
func validName(name string) bool {
	for i, c := range name {
		if !isAlpha(c) && c != '_' && (i == 0 || !isDecimal(c)) {
			return false
		}
	}
	return name != ""
}

// envNamesCmd ports shells.env_names_cmd: set/setx NAME=v.
func envNamesCmd(tokens []string) []string {
	if len(tokens) == 0 {
		return nil
	}
	if head := exeName(tokens[0]); head != "set" && head != "setx" {
		return nil
	}
	for _, token := range tokens[1:] {
		if strings.HasPrefix(token, "/") {
			continue
		}
		if token = strings.Trim(token, `"`); isAssignment(token) {
			return []string{assignedName(token)}
		}
		return nil
	}
	return nil
}

// envReference ports shells._env_reference: NAME of $env:NAME, ${env:NAME}
// or env:NAME (prefix any case), or "".
func envReference(token string) string {
	token = goTrim(token)
	low := Lower(token)
	var name string
	found := false
	for _, prefix := range []string{"$env:", "${env:", "env:"} {
		if strings.HasPrefix(low, prefix) {
			name, found = dropRunes(token, len(prefix)), true
			break
		}
	}
	if !found {
		return ""
	}
	if cut := strings.IndexAny(name, "= "); cut >= 0 {
		name = name[:cut]
	}
	name = strings.TrimSuffix(name, "}")
	if validName(name) {
		return name
	}
	return ""
}

// setEnvironmentVariable ports shells._set_environment_variable: the NAME of
// [Environment]::SetEnvironmentVariable("NAME", ...), or "". Like the
// engine, it slices the original at the lower-cased prefix's byte length.
func setEnvironmentVariable(tokens []string) string {
	joined := goTrim(strings.Join(tokens, " "))
	low := Lower(joined)
	for _, method := range setEnvMethods {
		if !strings.HasPrefix(low, method) {
			continue
		}
		rest := strings.TrimLeft(strings.TrimLeft(joined[len(method):], " \t("), `"'`)
		if cut := strings.IndexAny(rest, ",\"') \t"); cut >= 0 {
			rest = rest[:cut]
		}
		if validName(rest) {
			return rest
		}
		return ""
	}
	return ""
}

// envNamesPowerShell ports shells.env_names_powershell.
func envNamesPowerShell(tokens []string) []string {
	if len(tokens) == 0 {
		return nil
	}
	first := goTrim(tokens[0])
	if name := setEnvironmentVariable(tokens); name != "" {
		return []string{name}
	}
	if name := envReference(first); name != "" {
		if strings.Contains(first, "=") || len(tokens) > 1 && tokens[1] == "=" {
			return []string{name}
		}
		return nil
	}
	switch exeName(first) {
	case "set-item", "new-item", "set-content":
		for _, token := range tokens[1:] {
			token = strings.Trim(token, `"'`)
			if low := Lower(token); low == "-path" || low == "-literalpath" {
				continue
			}
			if name := envReference(token); name != "" {
				return []string{name}
			}
		}
	}
	return nil
}

// envNamesPOSIX ports canonicalize._names_in: leading NAME=v words,
// env [opts] NAME=v, export/declare/typeset [opts] NAME=v.
func envNamesPOSIX(words []string) []string {
	var names []string
	for _, w := range words {
		if !isAssignment(w) {
			break
		}
		names = append(names, assignedName(w))
	}
	if len(words) == 0 {
		return names
	}
	switch base(words[0]) {
	case "env":
		names = append(names, envCommandNames(words[1:])...)
	case "export", "declare", "typeset":
		for _, w := range words[1:] {
			if !strings.HasPrefix(w, "-") && isAssignment(w) {
				names = append(names, assignedName(w))
			}
		}
	}
	return names
}

func envCommandNames(args []string) []string {
	var names []string
	skip := false
	for _, w := range args {
		switch {
		case skip:
			skip = false
		case w == "-u" || w == "--unset":
			skip = true
		case strings.HasPrefix(w, "-"):
		case isAssignment(w):
			names = append(names, assignedName(w))
		default:
			return names
		}
	}
	return names
}

func dialectNames(words []string, d dialect) []string {
	switch d {
	case cmdExe:
		return envNamesCmd(words)
	case powerShell:
		return envNamesPowerShell(words)
	}
	return envNamesPOSIX(words)
}

// EnvAssignmentNames ports canonicalize.env_assignment_names: the names of
// the variables the command assigns, read as POSIX, cmd.exe and PowerShell,
// in every segment, wrapper body and substitution body (4 levels down);
// order of first appearance, de-duplicated; nil for a blank or over-long
// command.
func EnvAssignmentNames(command string) []string {
	if goTrim(command) == "" || tooLong(command) || !mayAssign(command) {
		return nil
	}
	c := envCollector{extract: newExtractor()}
	for _, d := range []dialect{posix, cmdExe, powerShell} {
		c.collect(command, d, 0)
	}
	return dedupeInPlace(c.names)
}

// mayAssign ports canonicalize._may_assign: false only when no reading can
// assign a variable (no "=", no ESC, and no "env:" or
// "setenvironmentvariable" once lower-cased with quotes, escapes and
// control characters deleted).
func mayAssign(command string) bool {
	if strings.ContainsAny(command, "=\x1b") {
		return true
	}
	if ascii, _ := asciiCase(command); ascii {
		var buf [512]byte
		folded := buf[:0]
		for i := 0; i < len(command); i++ {
			c := command[i]
			switch {
			case c < 0x20 || c == '\'' || c == '"' || c == '\\' || c == '`' || c == '^':
				continue
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			}
			folded = append(folded, c)
		}
		return bytes.Contains(folded, []byte("env:")) || bytes.Contains(folded, []byte("setenvironmentvariable"))
	}
	folded := strings.Map(func(r rune) rune {
		if r < 0x20 || strings.ContainsRune("'\"\\`^", r) {
			return -1
		}
		return r
	}, Lower(command))
	return strings.Contains(folded, "env:") || strings.Contains(folded, "setenvironmentvariable")
}

type envCollector struct {
	extract *extractor
	names   []string
}

func (c *envCollector) collect(raw string, d dialect, depth int) {
	if depth > maxEnvDepth || goTrim(raw) == "" {
		return
	}
	segments := split(raw, d)
	if len(segments) == 0 {
		segments = []string{raw}
	}
	for _, seg := range segments {
		words := tokenize(seg, d)
		c.names = append(c.names, dialectNames(words, d)...)
		if inner, innerDialect := stripWrapperOnce(words, d); !slices.Equal(inner, words) {
			c.collect(strings.Join(inner, " "), innerDialect, depth+1)
		}
	}
	for _, body := range c.extract.bodies(raw, 0) {
		c.collect(body, d, depth+1)
	}
}
