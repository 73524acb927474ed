// Package canon is a port of policyc's exec-command canonicalization
// (policyc/canonicalize.py and policyc/shells.py, spec §5): the spellings a
// restrictive rule tests, the components a granting rule must cover, the
// variables a command assigns, and how a rule's command fields combine
// (CommandAnalysis.Matches). Glob matching is the caller's job: the
// functions here receive Matchers.
//
// Strings are compared, lower-cased and measured as Python does (character
// semantics where Python indexes characters, Unicode 14.0 character
// properties; see unicode.go). runtimes/vectors/canonicalize.jsonl holds the
// Python answers for thousands of commands (tests/canon_vectors.py).
package canon

import "strings"

// MaxInputBytes is the longest command (UTF-8 bytes) the engine matches at
// all (canonicalize.MAX_INPUT_BYTES).
const MaxInputBytes = 8192

// Matcher answers whether any of a rule's globs matches a string; nil means
// the field is absent.
type Matcher func(string) bool

func tooLong(s string) bool {
	return len(s) > MaxInputBytes
}

// Fold ports canonicalize.fold: how the engine folds a whole command and its
// patterns on a case-insensitive reading.
func Fold(s string) string {
	return Lower(s)
}

// FoldHead ports canonicalize.fold_head: only the text before the first
// white space lower-cased.
func FoldHead(s string) string {
	end := firstWordEnd(s)
	return Lower(s[:end]) + s[end:]
}

// grantAnalysis ports canonicalize._GrantAnalysis (the engine's
// analyzeGrantCommand): the normalized form and the components.
type grantAnalysis struct {
	normalized string
	components []string
	composite  bool
	truncated  bool
}

func newGrantAnalysis(m *memo, command string) *grantAnalysis {
	extract := newExtractor()
	g := &grantAnalysis{normalized: m.normalize(command, posix)}
	if g.normalized == "" {
		g.normalized = command
	}
	segments := split(g.normalized, posix)
	bodies := extract.bodies(command, 0)
	g.truncated = extract.truncated
	g.composite = len(segments) > 1 || len(bodies) > 0
	if !g.composite {
		if only := goTrim(g.normalized); only != "" {
			g.components = []string{only}
		}
		return g
	}
	comps := segments
	for _, body := range bodies {
		for _, seg := range split(body, posix) {
			if n := m.normalize(seg, posix); n != "" {
				seg = n
			}
			comps = append(comps, seg)
		}
	}
	var kept []string
	for _, c := range comps {
		if c = goTrim(c); c != "" {
			kept = append(kept, c)
		}
	}
	g.components = dedupeInPlace(kept)
	return g
}

// CommandSpellings ports canonicalize.command_spellings: every candidate
// spelling a restrictive command_matches is tested on, raw command first.
func CommandSpellings(command string) []string {
	if goTrim(command) == "" || tooLong(command) {
		return []string{command}
	}
	m := &memo{}
	spellings, _, _ := restrictiveSpellings(m, command, newGrantAnalysis(m, command).components)
	return spellings
}

// CommandComponents ports canonicalize.command_components: what a granting
// rule must cover (an over-long command: its raw segments).
func CommandComponents(command string) []string {
	if goTrim(command) == "" {
		return nil
	}
	if tooLong(command) {
		return split(command, posix)
	}
	return newGrantAnalysis(nil, command).components
}

// IsComposite ports canonicalize.is_composite: several segments or any
// substitution body.
func IsComposite(command string) bool {
	if goTrim(command) == "" {
		return false
	}
	if tooLong(command) {
		return len(split(command, posix)) > 1
	}
	return newGrantAnalysis(nil, command).composite
}

// containsFolded ports canonicalize._contains_folded: some needle occurs in
// text, both lower-cased.
func containsFolded(text string, needles []string) bool {
	low := Lower(text)
	for _, n := range needles {
		if strings.Contains(low, Lower(n)) {
			return true
		}
	}
	return false
}

// CommandMatches ports canonicalize.command_matches: whether a rule's command
// predicate (command_matches / command_contains / command_not_matches)
// holds, on a fresh analysis. See CommandAnalysis.Matches.
func CommandMatches(command string, granting bool, matches Matcher, contains []string, excludes,
	compositeMatches, folded, headFolded, compositeHeadFolded Matcher) bool {
	return NewCommandAnalysis(command).Matches(granting, matches, contains, excludes,
		compositeMatches, folded, headFolded, compositeHeadFolded)
}
