package canon

import (
	pathpkg "path"
	"slices"
	"strings"
)

// Restrictive candidates (deny/ask) as the engine computes them: group
// bodies, canonical rm -rf deletions, head aliases and cmd.exe/PowerShell
// readings (canonicalize.py, "Restrictive candidates").

// MaxCanonicalAliases is the most canonical rm -rf aliases per candidate;
// past it the engine counts the rule as matched (MAX_CANONICAL_ALIASES).
const MaxCanonicalAliases = 256

const lineSpace = " \t\r\n"

func bodyOpeners(s string) bool {
	switch s {
	case "if", "elif", "while", "until", "then", "do", "else", "!":
		return true
	}
	return false
}

func bodyClosers(s string) bool {
	switch s {
	case "fi", "done", "esac":
		return true
	}
	return false
}

func redirectTakesNext(s string) bool {
	switch s {
	case ">", ">>", "<", "<<", "<<<", "1>", "1>>", "2>", "2>>":
		return true
	}
	return false
}

func findSkip(s string) bool {
	switch s {
	case "--", "-H", "-L", "-P":
		return true
	}
	return false
}

func hereStringShells(s string) bool {
	switch s {
	case "bash", "sh", "zsh", "dash":
		return true
	}
	return false
}

func multicall(s string) bool {
	switch s {
	case "busybox", "toybox":
		return true
	}
	return false
}

// leadingWord ports canonicalize._leading_word: (first word lower-cased, the
// rest trimmed), words split on space/TAB/CR/LF.
func leadingWord(value string) (string, string) {
	value = goTrim(value)
	end := strings.IndexAny(value, lineSpace)
	if end < 0 {
		return Lower(value), ""
	}
	return Lower(value[:end]), goTrim(value[end:])
}

// trimClosers ports canonicalize._trim_closers: trailing ) } fi done esac
// removed.
func trimClosers(value string) string {
	value = goTrim(value)
	for value != "" {
		changed := false
		for _, suffix := range []string{")", "}"} {
			if strings.HasSuffix(value, suffix) {
				value, changed = goTrim(value[:len(value)-1]), true
			}
		}
		start := strings.LastIndexAny(value, lineSpace) + 1
		if bodyClosers(Lower(value[start:])) {
			value, changed = goTrim(value[:start]), true
		}
		if !changed {
			break
		}
	}
	return value
}

// quoteState follows POSIX quotes and backslash escapes over a string.
type quoteState struct {
	inSingle, inDouble, escaped bool
}

// step reads c; it reports whether c is outside quotes and not escaped.
func (q *quoteState) step(c byte) bool {
	switch {
	case q.escaped:
		q.escaped = false
	case c == '\\' && !q.inSingle:
		q.escaped = true
	case c == '\'' && !q.inDouble:
		q.inSingle = !q.inSingle
	case c == '"' && !q.inSingle:
		q.inDouble = !q.inDouble
	default:
		return !q.inSingle && !q.inDouble
	}
	return false
}

// afterUnquoted ports canonicalize._after_unquoted: the text after the first
// unquoted target, trimmed, or "".
func afterUnquoted(value string, target byte) string {
	var q quoteState
	for i := 0; i < len(value); i++ {
		if q.step(value[i]) && value[i] == target {
			return goTrim(value[i+1:])
		}
	}
	return ""
}

// groupBodies ports canonicalize._group_bodies: the commands behind POSIX
// grouping and control words of one component, and a case arm.
func groupBodies(component string) []string {
	original := goTrim(component)
	if original == "" {
		return nil
	}
	var out []string
	candidate, changed := original, false
	for {
		candidate = goTrim(candidate)
		if candidate == "" {
			break
		}
		if candidate[0] == '(' || candidate[0] == '{' {
			candidate, changed = candidate[1:], true
			continue
		}
		word, rest := leadingWord(candidate)
		if !bodyOpeners(word) {
			break
		}
		candidate, changed = rest, true
	}
	if changed {
		out = append(out, trimClosers(candidate))
	}
	if word, _ := leadingWord(original); word == "case" {
		if arm := afterUnquoted(original, ')'); arm != "" {
			out = append(out, trimClosers(arm))
		}
	}
	var bodies []string
	for _, c := range dedupeInPlace(out) {
		if c != "" && c != original {
			bodies = append(bodies, c)
		}
	}
	return bodies
}

// restrictiveCandidates ports canonicalize._restrictive_candidates: the
// command (trimmed), each granting component, and the group bodies of each.
func restrictiveCandidates(command string, components []string) []string {
	out := make([]string, 0, 1+len(components))
	var seen map[string]bool // out as a set, once it is long
	has := func(s string) bool {
		if seen != nil {
			return seen[s]
		}
		for _, o := range out {
			if o == s {
				return true
			}
		}
		return false
	}
	put := func(s string) {
		out = append(out, s)
		if seen != nil {
			seen[s] = true
		} else if len(out) > 16 {
			seen = make(map[string]bool, 2*len(out))
			for _, o := range out {
				seen[o] = true
			}
		}
	}
	add := func(candidate string) {
		candidate = goTrim(candidate)
		if candidate == "" || has(candidate) {
			return
		}
		put(candidate)
		for _, body := range groupBodies(candidate) {
			if !has(body) {
				put(body)
			}
		}
	}
	add(command)
	for _, c := range components {
		add(c)
	}
	return out
}

// stripComment ports canonicalize._strip_comment: the text before an
// unquoted # that starts the string or follows white space.
func stripComment(value string) string {
	var q quoteState
	for i := 0; i < len(value); i++ {
		if q.step(value[i]) && value[i] == '#' && (i == 0 || strings.IndexByte(lineSpace, value[i-1]) >= 0) {
			return goTrim(value[:i])
		}
	}
	return value
}

// maskLiteralRedirects ports canonicalize._mask_literal_redirects: < and >
// that are quoted or escaped become =.
func maskLiteralRedirects(command string) string {
	if !strings.ContainsAny(command, "<>") {
		return command
	}
	out := []byte(command)
	var quote byte
	escaped := false
	for i, c := range out {
		if escaped {
			if c == '<' || c == '>' {
				out[i] = '='
			}
			escaped = false
			continue
		}
		if c == '\\' && quote != '\'' {
			escaped = true
			continue
		}
		if c == '\'' && quote != '"' || c == '"' && quote != '\'' {
			if quote == c {
				quote = 0
			} else if quote == 0 {
				quote = c
			}
		}
		if quote != 0 && (c == '<' || c == '>') {
			out[i] = '='
		}
	}
	return string(out)
}

func isRedirection(token string) bool {
	return redirectTakesNext(token) || strings.ContainsAny(token, "<>")
}

// rmOperands ports canonicalize._rm_operands: the operands of a recursive,
// forced rm (redirections skipped), and whether it is one.
func rmOperands(tokens []string) ([]string, bool) {
	recursive, force, ended := false, false, false
	var operands []string
	for i := 1; i < len(tokens); {
		tok := tokens[i]
		i++
		switch {
		case redirectTakesNext(tok):
			i++
		case isRedirection(tok):
		case ended:
			operands = append(operands, tok)
		case tok == "--":
			ended = true
		case tok == "--recursive":
			recursive = true
		case tok == "--force":
			force = true
		case len(tok) > 1 && tok[0] == '-' && tok[1] != '-':
			recursive = recursive || strings.ContainsAny(tok[1:], "rR")
			force = force || strings.Contains(tok[1:], "f")
		case !strings.HasPrefix(tok, "--"):
			operands = append(operands, tok)
		}
	}
	return operands, recursive && force
}

func cleanOperand(value string) string {
	cleaned := pathpkg.Clean(value)
	if strings.HasPrefix(value, "/") || cleaned == "." || cleaned == ".." || strings.HasPrefix(cleaned, "../") {
		return cleaned
	}
	return value
}

// unwrapRestrictive ports canonicalize._unwrap_restrictive: executors and
// busybox/toybox removed, repeatedly.
func unwrapRestrictive(tokens []string) []string {
	for {
		next := unwrapExecutor(tokens)
		if len(next) > 1 && multicall(exeName(next[0])) {
			next = next[1:]
		}
		if slices.Equal(next, tokens) {
			return next
		}
		tokens = next
	}
}

// aliasEmitter collects canonical rm -rf aliases up to MaxCanonicalAliases.
type aliasEmitter struct {
	out []string
}

func (e *aliasEmitter) emit(operand string) bool {
	if len(e.out) == MaxCanonicalAliases {
		return false
	}
	e.out = append(e.out, "rm -rf "+cleanOperand(operand))
	return true
}

// emitAll emits every target; false when the limit is reached.
func (e *aliasEmitter) emitAll(targets []string, spell func(string) string) bool {
	for _, t := range targets {
		if !e.emit(spell(t)) {
			return false
		}
	}
	return true
}

// visitRm emits the operands of a recursive forced rm ({} replaced by each
// find target).
func (e *aliasEmitter) visitRm(tokens, targets []string) bool {
	operands, ok := rmOperands(tokens)
	if !ok {
		return true
	}
	for _, operand := range operands {
		if len(targets) > 0 && strings.Contains(operand, "{}") {
			spell := func(t string) string { return pathpkg.Clean(strings.ReplaceAll(operand, "{}", t)) }
			if !e.emitAll(targets, spell) {
				return false
			}
		} else if !e.emit(operand) {
			return false
		}
	}
	return true
}

func identity(s string) string { return s }

// canonicalAliases ports canonicalize._canonical_aliases: rm -rf OPERAND
// spellings of recursive forced deletions (rm, find -delete, find -exec rm),
// and whether there were more than MaxCanonicalAliases.
func canonicalAliases(command string) ([]string, bool) {
	if !strings.Contains(command, "rm") && !strings.Contains(command, "find") && !strings.ContainsAny(command, `'"\`) {
		return nil, false
	}
	var e aliasEmitter
	for _, segment := range split(stripComment(command), posix) {
		tokens := unwrapRestrictive(tokenizePOSIX(maskLiteralRedirects(segment)))
		if len(tokens) == 0 {
			continue
		}
		switch exeName(tokens[0]) {
		case "rm":
			if !e.visitRm(tokens, nil) {
				return e.out, true
			}
		case "find":
			if !e.visitFind(tokens) {
				return e.out, true
			}
		}
	}
	return e.out, false
}

// visitFind emits the deletions of find TARGET... EXPRESSION.
func (e *aliasEmitter) visitFind(tokens []string) bool {
	targets, i := findTargets(tokens)
	for ; i < len(tokens); i++ {
		switch tok := tokens[i]; tok {
		case "-delete":
			if !e.emitAll(targets, identity) {
				return false
			}
		case "-exec", "-execdir":
			end := i + 1
			for end < len(tokens) && tokens[end] != ";" && tokens[end] != "+" {
				end++
			}
			if end < len(tokens) {
				action := unwrapRestrictive(tokens[i+1 : end])
				if len(action) > 0 && exeName(action[0]) == "rm" && !e.visitRm(action, targets) {
					return false
				}
				i = end
			}
		}
	}
	return true
}

// findTargets are find's starting points ("." when none) and the index of
// its expression.
func findTargets(tokens []string) ([]string, int) {
	var targets []string
	expression := len(tokens)
	for i := 1; i < len(tokens); {
		tok := tokens[i]
		if tok == "-D" && i+1 < len(tokens) {
			i += 2
			continue
		}
		if findSkip(tok) || strings.HasPrefix(tok, "-O") {
			i++
			continue
		}
		if strings.HasPrefix(tok, "-") || tok == "!" || tok == "(" {
			expression = i
			break
		}
		targets = append(targets, tok)
		i++
	}
	if len(targets) == 0 {
		targets = []string{"."}
	}
	return targets, expression
}

// needsAliases ports canonicalize._needs_aliases: a head with a path or
// capitals, rm, find, busybox/toybox, or a here-string shell.
func needsAliases(command string) bool {
	head := goTrim(command)
	if head == "" {
		return false
	}
	if end := strings.IndexAny(head, lineSpace); end >= 0 {
		head = head[:end]
	}
	name := exeName(head)
	if name != Lower(head) || name == "rm" || name == "find" || multicall(name) {
		return true
	}
	return hereStringShells(name) && strings.Contains(command, "<<<")
}

// aliases ports canonicalize._aliases: per segment of the comment-stripped,
// normalized command, the head as its lower-cased base name (an applet
// unwrapped) and a shell's <<< here-string bodies.
func aliases(m *memo, command string) []string {
	without := stripComment(command)
	norm := m.normalize(without, posix)
	if norm == "" {
		norm = without
	}
	segments := split(norm, posix)
	if len(segments) == 0 {
		segments = []string{norm}
	}
	var out []string
	for _, segment := range segments {
		out = append(out, segmentAliases(segment)...)
	}
	var kept []string
	for _, a := range out {
		if a = goTrim(a); a != "" && a != command {
			kept = append(kept, a)
		}
	}
	return kept
}

func segmentAliases(segment string) []string {
	words := tokenizePOSIX(segment)
	if len(words) == 0 {
		return nil
	}
	name := exeName(words[0])
	if multicall(name) && len(words) > 1 && !strings.HasPrefix(words[1], "-") {
		words = words[1:]
		name = exeName(words[0])
	}
	words = concat([]string{name}, words[1:])
	out := []string{strings.Join(words, " ")}
	if hereStringShells(name) {
		for k, w := range words[:len(words)-1] {
			if w == "<<<" {
				out = append(out, strings.Join(words[k+1:], " "))
			}
		}
	}
	return out
}

// readingDialects ports canonicalize._dialects: the cmd.exe/PowerShell
// re-readings the engine tries on a restrictive candidate.
// (The first n of the array.)
func readingDialects(candidate string) (out [2]dialect, n int) {
	add := func(d dialect) {
		for _, x := range out[:n] {
			if x == d {
				return
			}
		}
		out[n] = d
		n++
	}
	if w := wrapperDialect(candidate); w == cmdExe || w == powerShell {
		add(w)
	}
	if strings.Contains(candidate, "^") || strings.Contains(candidate, "&>") ||
		strings.Contains(candidate, "'") && strings.ContainsAny(candidate, "&|") {
		add(cmdExe)
	}
	if strings.Contains(candidate, "`") {
		add(powerShell)
	}
	return out, n
}

// dialectReadings ports canonicalize._dialect_readings: the normalized
// command and its segments (when normalizing changed it), each raw segment
// and each substitution body, each with its normalization.
func dialectReadings(m *memo, candidate string, d dialect, extract *extractor, out []string) []string {
	norm := m.normalize(candidate, d)
	if norm != candidate {
		out = append(out, norm)
		out = append(out, split(norm, d)...)
	}
	add := func(parts []string) {
		for _, part := range parts {
			out = append(out, part)
			if n := m.normalize(part, d); n != part {
				out = append(out, n)
			}
		}
	}
	add(split(candidate, d))
	add(extract.bodies(candidate, 0))
	return out
}

// candidateSpellings ports canonicalize._candidate_spellings: (exact
// spellings of one candidate, its dialect readings, whether its deletions
// overflowed).
// They are appended to out and readings.
func candidateSpellings(m *memo, candidate string, out, readings []string) ([]string, []string, bool) {
	canonical, overflow := canonicalAliases(candidate)
	out = append(out, candidate)
	out = append(out, canonical...)
	if norm := m.normalize(candidate, posix); norm != "" && norm != candidate {
		out = append(out, norm)
	}
	if needsAliases(candidate) {
		out = append(out, aliases(m, candidate)...)
	}
	if dialects, n := readingDialects(candidate); n > 0 {
		start := len(readings)
		extract := newExtractor()
		for _, d := range dialects[:n] {
			readings = dialectReadings(m, candidate, d, extract, readings)
		}
		out = append(out, readings[start:]...)
	}
	return out, readings, overflow
}

// restrictiveSpellings ports canonicalize._restrictive_spellings: (every
// candidate's spellings, their folded dialect readings, overflow).
func restrictiveSpellings(m *memo, command string, components []string) ([]string, []string, bool) {
	out := make([]string, 0, 8)
	var readings []string
	overflow := false
	for _, candidate := range restrictiveCandidates(command, components) {
		var over bool
		out, readings, over = candidateSpellings(m, candidate, out, readings)
		overflow = overflow || over
	}
	folded := make([]string, len(readings))
	for i, r := range readings {
		folded[i] = Fold(r)
	}
	return dedupeInPlace(out), dedupeInPlace(folded), overflow
}
