package canon

import (
	"regexp"
	"strings"
)

// MaxNesting is the deepest substitution nesting explored ($(...) inside
// $(...) ...): canonicalize.MAX_NESTING.
const MaxNesting = 32

var (
	ansiCSI = regexp.MustCompile(`\x1b\[[0-9;]*[a-zA-Z]`)
	control = regexp.MustCompile(`[\x00-\x08\x0b-\x1f]`)
)

// sanitize ports canonicalize._sanitize: ANSI CSI sequences, NUL and control
// characters other than TAB and LF deleted.
func sanitize(s string) string {
	if !hasControl(s) {
		return s
	}
	return control.ReplaceAllString(ansiCSI.ReplaceAllString(s, ""), "")
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' && c != '\n' {
			return true
		}
	}
	return false
}

// normalizeSegment ports canonicalize._normalize_segment: a segment whose
// first word names a shell is tokenized in that shell's dialect (cmd carets
// removed), then unwrapped and stripped of leading redirections.
func (m *memo) normalizeSegment(seg string, d dialect) string {
	seg = goTrim(seg)
	if seg == "" {
		return ""
	}
	if m != nil {
		if out, ok := m.segs.get(seg, d); ok {
			return out
		}
	}
	out := normalizeSegmentNew(seg, d)
	if m != nil {
		m.segs.put(seg, d, out)
	}
	return out
}

func normalizeSegmentNew(seg string, d dialect) string {
	if own := wrapperDialect(seg); own != noDialect {
		d = own
	}
	words := tokenize(seg, d)
	if d == cmdExe {
		words = removeCarets(words)
	}
	return joinWords(stripRedirections(unwrap(words, d)), seg)
}

// joinWords is strings.Join(words, " "), the tail of seg when it spells
// exactly that (no copy).
func joinWords(words []string, seg string) string {
	if len(words) == 0 {
		return ""
	}
	n := len(words) - 1
	for _, w := range words {
		n += len(w)
	}
	if n <= len(seg) {
		tail, i := seg[len(seg)-n:], 0
		for k, w := range words {
			if k > 0 {
				if tail[i] != ' ' {
					return strings.Join(words, " ")
				}
				i++
			}
			if tail[i:i+len(w)] != w {
				return strings.Join(words, " ")
			}
			i += len(w)
		}
		return tail
	}
	return strings.Join(words, " ")
}

// normalize ports canonicalize._normalize: segments normalized, joined by
// " && ".
func normalize(cmd string, d dialect) string {
	return (*memo)(nil).normalize(cmd, d)
}

// normalize is normalize, memoized in m.
func (m *memo) normalize(cmd string, d dialect) string {
	if m != nil {
		if out, ok := m.norms.get(cmd, d); ok {
			return out
		}
	}
	var out []string
	for _, seg := range split(goTrim(sanitize(cmd)), d) {
		if n := m.normalizeSegment(seg, d); n != "" {
			out = append(out, n)
		}
	}
	var joined string
	if len(out) == 1 {
		joined = out[0]
	} else {
		joined = strings.Join(out, " && ")
	}
	if m != nil {
		m.norms.put(cmd, d, joined)
	}
	return joined
}

// extractor ports canonicalize._Extractor (the engine's ExtractSubcommands),
// memoized and depth-bounded. Its results must not be modified.
type extractor struct {
	memo      []extracted // a short list; a map once it grows
	big       map[string][]string
	truncated bool
}

type extracted struct {
	cmd    string
	bodies []string
}

func newExtractor() *extractor {
	return &extractor{}
}

func (e *extractor) get(cmd string) ([]string, bool) {
	if e.big != nil {
		found, ok := e.big[cmd]
		return found, ok
	}
	for i := range e.memo {
		if e.memo[i].cmd == cmd {
			return e.memo[i].bodies, true
		}
	}
	return nil, false
}

func (e *extractor) put(cmd string, bodies []string) {
	if e.big == nil && len(e.memo) < memoListMax {
		e.memo = append(e.memo, extracted{cmd, bodies})
		return
	}
	if e.big == nil {
		e.big = make(map[string][]string, 2*memoListMax)
		for _, x := range e.memo {
			e.big[x.cmd] = x.bodies
		}
		e.memo = nil
	}
	e.big[cmd] = bodies
}

// bodies is every substitution body of cmd, each followed by its own
// bodies, de-duplicated (_Extractor.__call__).
func (e *extractor) bodies(cmd string, depth int) []string {
	if found, ok := e.get(cmd); ok {
		return found
	}
	if depth > MaxNesting {
		e.truncated = true
		return nil
	}
	clean := sanitize(cmd)
	var found []string
	for _, inner := range concat(dollarBodies(clean), backtickBodies(clean), evalBody(clean), processBodies(clean)) {
		found = append(found, inner)
		found = append(found, e.bodies(inner, depth+1)...)
	}
	result := dedupeInPlace(found)
	e.put(cmd, result)
	return result
}

// dollarBodies are the $(...) bodies (nesting counted on "$(" only).
func dollarBodies(s string) []string {
	return groupedBodies(s, "$(", func(s string, j int) int {
		if strings.HasPrefix(s[j:], "$(") {
			return 2
		}
		return 0
	})
}

// processBodies are the <(...) and >(...) bodies (nesting counted on "(").
func processBodies(s string) []string {
	opener := func(s string, from int) int {
		for i := from; i+1 < len(s); i++ {
			if (s[i] == '<' || s[i] == '>') && s[i+1] == '(' {
				return i
			}
		}
		return -1
	}
	return groupedBodiesFrom(s, opener, func(s string, j int) int {
		if s[j] == '(' {
			return 1
		}
		return 0
	})
}

func groupedBodies(s, opener string, deeper func(string, int) int) []string {
	find := func(s string, from int) int {
		if k := strings.Index(s[from:], opener); k >= 0 {
			return from + k
		}
		return -1
	}
	return groupedBodiesFrom(s, find, deeper)
}

// groupedBodiesFrom ports _Extractor._bodies: the non-blank bodies of the
// two-byte openers find locates, searched for again after each group
// closes; deeper(s, j) is the length of a nesting opener at j, else 0. An
// unclosed group ends the search.
func groupedBodiesFrom(s string, find func(string, int) int, deeper func(string, int) int) []string {
	var out []string
	pos := 0
	for {
		start := find(s, pos)
		if start < 0 {
			return out
		}
		end := groupEnd(s, start+2, deeper)
		if end < 0 {
			return out
		}
		if body := goTrim(s[start+2 : end]); body != "" {
			out = append(out, body)
		}
		pos = end + 1
	}
}

// groupEnd is the index of the ) closing a group whose body starts at from,
// or -1.
func groupEnd(s string, from int, deeper func(string, int) int) int {
	depth := 1
	for j := from; j < len(s); {
		if s[j] == ')' {
			if depth--; depth == 0 {
				return j
			}
			j++
			continue
		}
		if n := deeper(s, j); n > 0 {
			depth++
			j += n
			continue
		}
		j++
	}
	return -1
}

// backtickBodies are the non-blank bodies between pairs of backticks.
func backtickBodies(s string) []string {
	var out []string
	for i := 0; ; {
		start := strings.IndexByte(s[i:], '`')
		if start < 0 {
			return out
		}
		start += i
		end := strings.IndexByte(s[start+1:], '`')
		if end < 0 {
			return out
		}
		end += start + 1
		if body := goTrim(s[start+1 : end]); body != "" {
			out = append(out, body)
		}
		i = end + 1
	}
}

// evalBody is the command an eval runs (after leading assignments).
func evalBody(s string) []string {
	words := stripAssignments(tokenizePOSIX(goTrim(s)))
	if len(words) >= 2 && words[0] == "eval" {
		return []string{strings.Join(words[1:], " ")}
	}
	return nil
}

// dedupeInPlace is dedupe reusing items (which the caller owns).
func dedupeInPlace(items []string) []string {
	if len(items) > 16 {
		return dedupe(items)
	}
	out := items[:0]
next:
	for _, item := range items {
		for _, o := range out {
			if o == item {
				continue next
			}
		}
		out = append(out, item)
	}
	return out
}

// dedupe keeps the first of equal strings, in order (a new slice).
func dedupe(items []string) []string {
	if len(items) <= 16 {
		return dedupeInPlace(append(make([]string, 0, len(items)), items...))
	}
	seen := make(map[string]bool, len(items))
	out := make([]string, 0, len(items))
	for _, item := range items {
		if !seen[item] {
			seen[item] = true
			out = append(out, item)
		}
	}
	return out
}
