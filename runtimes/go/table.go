package policyc

// Pattern tables (policyc/runtime/matching.py's Table). Python compiles a
// table into one re2.Set; Go has no regexp set, so each distinct expression
// gets a matcher (a plain string test when the expression is a glob of
// literals and `.*`, else a Go regexp) and a literal prefilter: the
// literals some branch of the expression must contain ("atoms") go into one
// Aho-Corasick automaton; a scan runs the automaton once over the input and
// tests only the expressions whose atoms occur (plus those without atoms).

import (
	"fmt"
	"math/bits"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bits is a set of pattern ids.
type Bits []uint64

func newBits(n int) Bits { return make(Bits, (n+63)/64) }

func (b Bits) set(i int)      { b[i>>6] |= 1 << (uint(i) & 63) }
func (b Bits) has(i int) bool { return i>>6 < len(b) && b[i>>6]&(1<<(uint(i)&63)) != 0 }
func (b Bits) or(o Bits) {
	for i := range o {
		b[i] |= o[i]
	}
}
func (b Bits) meets(o Bits) bool {
	n := len(b)
	if len(o) < n {
		n = len(o)
	}
	for i := 0; i < n; i++ {
		if b[i]&o[i] != 0 {
			return true
		}
	}
	return false
}
func (b Bits) empty() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}
func (b Bits) each(f func(int)) {
	for i, w := range b {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			f(i*64 + t)
			w &= w - 1
		}
	}
}
func (b Bits) and(o Bits) Bits {
	out := make(Bits, len(b))
	for i := range b {
		if i < len(o) {
			out[i] = b[i] & o[i]
		}
	}
	return out
}

// ------------------------------------------------------------- matchers

type part struct {
	lit  string
	star bool
	seq  [][]rune // when non-nil: one rune from each set, in order (lit unused)
}

// seqAt: the byte length of seq matched at s[i:], or -1.
func seqAt(s string, i int, seq [][]rune) int {
	j := i
	for _, set := range seq {
		if j >= len(s) {
			return -1
		}
		r, size := utf8.DecodeRuneInString(s[j:])
		ok := false
		for _, x := range set {
			if x == r {
				ok = true
				break
			}
		}
		if !ok {
			return -1
		}
		j += size
	}
	return j - i
}

// seqSuffix: the byte length of seq matched at the end of s, or -1.
func seqSuffix(s string, seq [][]rune) int {
	j := len(s)
	for k := len(seq) - 1; k >= 0; k-- {
		if j <= 0 {
			return -1
		}
		r, size := utf8.DecodeLastRuneInString(s[:j])
		ok := false
		for _, x := range seq[k] {
			if x == r {
				ok = true
				break
			}
		}
		if !ok {
			return -1
		}
		j -= size
	}
	return len(s) - j
}

// partPrefix / partSuffix / partFind: a non-star part at the start, at the
// end, or leftmost anywhere ((start, end) or -1).
func partPrefix(s string, p part) int {
	if p.seq == nil {
		if strings.HasPrefix(s, p.lit) {
			return len(p.lit)
		}
		return -1
	}
	return seqAt(s, 0, p.seq)
}

func partSuffix(s string, p part) int {
	if p.seq == nil {
		if strings.HasSuffix(s, p.lit) {
			return len(p.lit)
		}
		return -1
	}
	return seqSuffix(s, p.seq)
}

func partFind(s string, p part) (int, int) {
	if p.seq == nil {
		at := strings.Index(s, p.lit)
		if at < 0 {
			return -1, -1
		}
		return at, at + len(p.lit)
	}
	for i := 0; i < len(s); {
		if n := seqAt(s, i, p.seq); n >= 0 {
			return i, i + n
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return -1, -1
}

// globMatcher: an anchored alternation of literal/`.*` sequences.
type globMatcher struct{ branches [][]part }

func globMatch(s string, parts []part) bool {
	// parts alternate star and non-star parts (merged); anchored at both ends.
	i := 0
	if len(parts) > 0 && !parts[0].star {
		n := partPrefix(s, parts[0])
		if n < 0 {
			return false
		}
		s = s[n:]
		i = 1
	}
	if i == len(parts) {
		return s == ""
	}
	last := len(parts) - 1
	if !parts[last].star {
		n := partSuffix(s, parts[last])
		if n < 0 {
			return false
		}
		s = s[:len(s)-n]
		last--
	}
	for ; i <= last; i++ {
		if parts[i].star {
			continue
		}
		_, end := partFind(s, parts[i])
		if end < 0 {
			return false
		}
		s = s[end:]
	}
	return true
}

func (g *globMatcher) match(s string) bool {
	for _, b := range g.branches {
		if globMatch(s, b) {
			return true
		}
	}
	return false
}

type containsMatcher struct{ lit string }

func (c *containsMatcher) match(s string) bool { return strings.Contains(s, c.lit) }

type regexMatcher struct{ re *regexp.Regexp }

func (r *regexMatcher) match(s string) bool { return r.re.MatchString(s) }

type never struct{}

func (never) match(string) bool { return false }

type matcher interface{ match(string) bool }

func isAnyStar(re *syntax.Regexp) bool {
	return re.Op == syntax.OpStar && len(re.Sub) == 1 && re.Sub[0].Op == syntax.OpAnyChar
}

// litOf: the literal a node stands for (slash: {/,\} reads as "/").
func litOf(re *syntax.Regexp, slash bool) (string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return "", false
		}
		return string(re.Rune), true
	case syntax.OpCharClass:
		r := re.Rune
		if len(r) == 2 && r[0] == r[1] {
			return string(r[0]), true
		}
		if slash && len(r) == 4 && r[0] == '/' && r[1] == '/' && r[2] == '\\' && r[3] == '\\' {
			return "/", true
		}
	case syntax.OpEmptyMatch:
		return "", true
	}
	return "", false
}

// atomOf: what a node requires of the ASCII-lower-cased input: its literal
// lower-cased, or the letter of a class that is exactly one ASCII letter in
// both cases ([Ee]).
func atomOf(re *syntax.Regexp, slash bool) (string, bool) {
	if lit, ok := litOf(re, slash); ok {
		return asciiLower(lit), true
	}
	if re.Op == syntax.OpCharClass {
		r := re.Rune
		if len(r) == 4 && r[0] == r[1] && r[2] == r[3] && r[0] >= 'A' && r[0] <= 'Z' && r[2] == r[0]+32 {
			return string(r[2]), true
		}
	}
	return "", false
}

// orbit: the runes a case-folded literal rune matches (unicode.SimpleFold).
func orbit(r rune) []rune {
	out := []rune{r}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		out = append(out, f)
	}
	return out
}

// foldAtom: a case-folded rune as an atom of the ASCII-lower-cased input,
// when every rune of its orbit lower-cases (ASCII) to one byte string.
func foldAtom(r rune) (string, bool) {
	o := orbit(r)
	want := asciiLower(string(o[0]))
	for _, x := range o[1:] {
		if asciiLower(string(x)) != want {
			return "", false
		}
	}
	return want, true
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// flatParts: a branch as literal/star parts, if it is one.
func flatParts(re *syntax.Regexp, slash bool, out []part) ([]part, bool) {
	if re.Op == syntax.OpConcat {
		for _, sub := range re.Sub {
			var ok bool
			if out, ok = flatParts(sub, slash, out); !ok {
				return nil, false
			}
		}
		return out, true
	}
	if isAnyStar(re) {
		if len(out) > 0 && out[len(out)-1].star {
			return out, true
		}
		return append(out, part{star: true}), true
	}
	if re.Op == syntax.OpLiteral && re.Flags&syntax.FoldCase != 0 {
		for _, r := range re.Rune {
			o := orbit(r)
			var one *syntax.Regexp
			if len(o) == 1 {
				one = &syntax.Regexp{Op: syntax.OpLiteral, Rune: []rune{r}}
			} else {
				var ranges []rune
				for _, x := range o {
					ranges = append(ranges, x, x)
				}
				one = &syntax.Regexp{Op: syntax.OpCharClass, Rune: ranges}
			}
			var ok bool
			if out, ok = flatParts(one, slash, out); !ok {
				return nil, false
			}
		}
		return out, true
	}
	lit, ok := litOf(re, slash)
	if !ok {
		set := smallSet(re)
		if set == nil {
			return nil, false
		}
		if len(out) == 0 || out[len(out)-1].star {
			out = append(out, part{})
		}
		last := &out[len(out)-1]
		if last.seq == nil {
			for _, r := range last.lit {
				last.seq = append(last.seq, []rune{r})
			}
			last.lit = ""
		}
		last.seq = append(last.seq, set)
		return out, true
	}
	if lit == "" {
		return out, true
	}
	if len(out) > 0 && !out[len(out)-1].star {
		last := &out[len(out)-1]
		if last.seq != nil {
			for _, r := range lit {
				last.seq = append(last.seq, []rune{r})
			}
		} else {
			last.lit += lit
		}
		return out, true
	}
	return append(out, part{lit: lit}), true
}

// smallSet: the runes of a class of at most 8 runes (nil otherwise).
func smallSet(re *syntax.Regexp) []rune {
	if re.Op != syntax.OpCharClass {
		return nil
	}
	var set []rune
	for k := 0; k+1 < len(re.Rune); k += 2 {
		lo, hi := re.Rune[k], re.Rune[k+1]
		if hi-lo > 8 || len(set)+int(hi-lo)+1 > 8 {
			return nil
		}
		for r := lo; r <= hi; r++ {
			set = append(set, r)
		}
	}
	return set
}

func branchesOf(re *syntax.Regexp) []*syntax.Regexp {
	if re.Op == syntax.OpAlternate {
		return re.Sub
	}
	return []*syntax.Regexp{re}
}

// required: literals of which the input must contain one for re to match
// (nil: no requirement known).
func required(re *syntax.Regexp, slash bool) []string {
	switch re.Op {
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			r := required(sub, slash)
			if r == nil {
				return nil
			}
			out = append(out, r...)
		}
		return out
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0], slash)
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0], slash)
		}
		return nil
	case syntax.OpConcat:
		var best []string
		score := func(c []string) int {
			m := -1
			for _, s := range c {
				if m < 0 || len(s) < m {
					m = len(s)
				}
			}
			return m
		}
		consider := func(c []string) {
			if c != nil && score(c) > 0 && (best == nil || score(c) > score(best)) {
				best = c
			}
		}
		run := ""
		for _, sub := range re.Sub {
			if sub.Op == syntax.OpLiteral && sub.Flags&syntax.FoldCase != 0 {
				for _, r := range sub.Rune {
					if a, ok := foldAtom(r); ok {
						run += a
					} else if run != "" {
						consider([]string{run})
						run = ""
					}
				}
				continue
			}
			if lit, ok := atomOf(sub, slash); ok {
				run += lit
				continue
			}
			if run != "" {
				consider([]string{run})
				run = ""
			}
			consider(required(sub, slash))
		}
		if run != "" {
			consider([]string{run})
		}
		return best
	}
	if lit, ok := atomOf(re, slash); ok && lit != "" {
		return []string{lit}
	}
	return nil
}

// compileExpr builds a matcher and its atoms for one expression.
func compileExpr(expr string, anchored, slash bool) (matcher, []string, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, nil, err
	}
	tree, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, nil, err
	}
	tree = tree.Simplify()
	if tree.Op == syntax.OpNoMatch {
		return never{}, nil, nil
	}
	atoms := required(tree, slash)
	if anchored {
		var branches [][]part
		ok := true
		for _, b := range branchesOf(tree) {
			parts, good := flatParts(b, slash, nil)
			if !good {
				ok = false
				break
			}
			branches = append(branches, parts)
		}
		if ok {
			return &globMatcher{branches}, atoms, nil
		}
		full, err := regexp.Compile(`^(?:` + expr + `)$`)
		if err != nil {
			return nil, nil, err
		}
		return &regexMatcher{full}, atoms, nil
	}
	if lit, ok := litOf(tree, false); ok && lit != "" {
		return &containsMatcher{lit}, atoms, nil
	}
	if tree.Op == syntax.OpConcat {
		if parts, ok := flatParts(tree, false, nil); ok && len(parts) == 1 && !parts[0].star {
			return &containsMatcher{parts[0].lit}, atoms, nil
		}
	}
	return &regexMatcher{re}, atoms, nil
}

// Table is one compiled pattern table.
type Table struct {
	name     string
	size     int
	anchored bool
	slash    bool
	matchers []matcher
	ids      [][]int
	ac       *acAuto
	atomTo   [][]int32
	always   []int32
}

// newTable compiles a table; exprs[i] nil: id i never matches.
func newTable(name string, exprs []*string, anchored, slash bool) (*Table, error) {
	t := &Table{name: name, size: len(exprs), anchored: anchored, slash: slash}
	distinct := map[string]int{}
	var order []string
	for pid, e := range exprs {
		if e == nil {
			continue
		}
		k, ok := distinct[*e]
		if !ok {
			k = len(order)
			distinct[*e] = k
			order = append(order, *e)
			t.ids = append(t.ids, nil)
		}
		t.ids[k] = append(t.ids[k], pid)
	}
	reqs := make([][]string, len(order))
	for k, e := range order {
		m, req, err := compileExpr(e, anchored, slash)
		if err != nil {
			return nil, fmt.Errorf("pattern table %s: expression %s does not compile: %v", pyStrRepr(name), pyStrRepr(e), err)
		}
		t.matchers = append(t.matchers, m)
		if _, isNever := m.(never); isNever {
			continue
		}
		if req == nil {
			t.always = append(t.always, int32(k))
			continue
		}
		reqs[k] = req
	}
	// Shorten each atom to its rarest window of atomWindow bytes: a smaller
	// automaton (cache-friendly) at the cost of a few more candidates.
	freq := map[string]int{}
	for _, req := range reqs {
		seen := map[string]bool{}
		for _, a := range req {
			for _, w := range windows(a) {
				if !seen[w] {
					seen[w] = true
					freq[w]++
				}
			}
		}
	}
	atomIDs := map[string]int32{}
	var atoms []string
	for k, req := range reqs {
		seen := map[string]bool{}
		for _, a := range req {
			ws := windows(a)
			best := ws[0]
			for _, w := range ws[1:] {
				if freq[w] < freq[best] {
					best = w
				}
			}
			if seen[best] {
				continue
			}
			seen[best] = true
			atoms = t.addAtom(atomIDs, atoms, best, int32(k))
		}
	}
	if len(atoms) > 0 {
		t.ac = buildAC(atoms)
	}
	return t, nil
}

const atomWindow = 64

// windows: the substrings of atomWindow bytes of a (a itself when shorter).
func windows(a string) []string {
	if len(a) <= atomWindow {
		return []string{a}
	}
	out := make([]string, 0, len(a)-atomWindow+1)
	for i := 0; i+atomWindow <= len(a); i++ {
		out = append(out, a[i:i+atomWindow])
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// scratch holds per-scan marks and an arena of id sets for one decision
// (not shared between goroutines; reused from a pool).
// addAtom makes pattern an Aho-Corasick candidate whenever atom occurs:
// the atom is interned in atomIDs/atoms (returned, grown) and pattern added
// to its list.
func (t *Table) addAtom(atomIDs map[string]int32, atoms []string, atom string, pattern int32) []string {
	id, ok := atomIDs[atom]
	if !ok {
		id = int32(len(atoms))
		atomIDs[atom] = id
		atoms = append(atoms, atom)
		t.atomTo = append(t.atomTo, nil)
	}
	t.atomTo[id] = append(t.atomTo[id], pattern)
	return atoms
}

type scratch struct {
	stamp    uint32
	exprMark []uint32
	atomMark []uint32
	slab     []uint64
}

// bits is a zeroed set of n ids from the arena.
func (sc *scratch) bits(n int) Bits {
	w := (n + 63) / 64
	if w == 0 {
		return nil
	}
	if len(sc.slab)+w > cap(sc.slab) {
		size := 1024
		if w > size {
			size = w
		}
		sc.slab = make([]uint64, 0, size)
	}
	start := len(sc.slab)
	sc.slab = sc.slab[:start+w]
	out := Bits(sc.slab[start : start+w : start+w])
	for i := range out {
		out[i] = 0
	}
	return out
}

func (t *Table) scan(text string, sc *scratch) Bits {
	out := sc.bits(t.size)
	if len(t.matchers) == 0 {
		return out
	}
	if !isASCII(text) {
		text = toRegexInput(text)
		if !utf8.ValidString(text) {
			// not reachable from JSON input; regexp reads invalid bytes as U+FFFD
			text = strings.ToValidUTF8(text, "\uFFFD")
		}
	}
	test := func(k int32) {
		if t.matchers[k].match(text) {
			for _, pid := range t.ids[k] {
				out.set(pid)
			}
		}
	}
	for _, k := range t.always {
		test(k)
	}
	if t.ac == nil {
		return out
	}
	if len(sc.exprMark) < len(t.matchers) {
		sc.exprMark = make([]uint32, len(t.matchers)*2)
	}
	if len(sc.atomMark) < len(t.atomTo) {
		sc.atomMark = make([]uint32, len(t.atomTo)*2)
	}
	sc.stamp++
	if sc.stamp == 0 {
		for i := range sc.exprMark {
			sc.exprMark[i] = 0
		}
		for i := range sc.atomMark {
			sc.atomMark[i] = 0
		}
		sc.stamp = 1
	}
	stamp := sc.stamp
	ac := t.ac
	found := func(atoms []int32) {
		for _, atom := range atoms {
			if sc.atomMark[atom] == stamp {
				continue
			}
			sc.atomMark[atom] = stamp
			for _, k := range t.atomTo[atom] {
				if sc.exprMark[k] != stamp {
					sc.exprMark[k] = stamp
					if t.matchers[k].match(text) {
						for _, pid := range t.ids[k] {
							out.set(pid)
						}
					}
				}
			}
		}
	}
	classOf, nclass := &ac.classOf, ac.nclass
	if d16 := ac.d16; d16 != nil {
		state := 0
		for i := 0; i < len(text); i++ {
			next := d16[state*nclass+int(classOf[text[i]])]
			state = int(next &^ (1 << 15))
			if next&(1<<15) != 0 {
				found(ac.out[state])
			}
		}
		return out
	}
	delta := ac.delta
	idx := int32(0)
	for i := 0; i < len(text); i++ {
		next := delta[idx+int32(classOf[text[i]])]
		if next < 0 {
			next = -next
			found(ac.out[int(next)/nclass])
		}
		idx = next
	}
	return out
}

// ---------------------------------------------------------- Aho-Corasick

type acAuto struct {
	classOf [256]uint8
	nclass  int
	delta   []int32  // state*nclass + class
	d16     []uint16 // the same as state ids (bit 15: the state has output), when they fit
	out     [][]int32
	hasOut  []bool
}

func buildAC(atoms []string) *acAuto {
	a := &acAuto{}
	used := [256]bool{}
	lowered := make([]string, len(atoms))
	for i, s := range atoms {
		lowered[i] = asciiLower(s)
	}
	atoms = lowered
	for _, s := range atoms {
		for i := 0; i < len(s); i++ {
			used[s[i]] = true
		}
	}
	n := 1
	for c := 0; c < 256; c++ {
		if used[c] {
			a.classOf[c] = uint8(n)
			n++
		}
	}
	for c := 'A'; c <= 'Z'; c++ { // the automaton reads the input ASCII-lower-cased
		a.classOf[c] = a.classOf[c+32]
	}
	a.nclass = n
	// trie
	type node struct {
		next map[uint8]int32
		out  []int32
	}
	nodes := []node{{next: map[uint8]int32{}}}
	for id, s := range atoms {
		cur := int32(0)
		for i := 0; i < len(s); i++ {
			c := a.classOf[s[i]]
			nx, ok := nodes[cur].next[c]
			if !ok {
				nx = int32(len(nodes))
				nodes = append(nodes, node{next: map[uint8]int32{}})
				nodes[cur].next[c] = nx
			}
			cur = nx
		}
		nodes[cur].out = append(nodes[cur].out, int32(id))
	}
	a.delta = make([]int32, len(nodes)*n)
	a.out = make([][]int32, len(nodes))
	a.hasOut = make([]bool, len(nodes))
	fail := make([]int32, len(nodes))
	queue := []int32{}
	for c := 0; c < n; c++ {
		if nx, ok := nodes[0].next[uint8(c)]; ok {
			a.delta[c] = nx
			fail[nx] = 0
			queue = append(queue, nx)
		}
	}
	a.out[0] = nodes[0].out
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		a.out[s] = append(append([]int32(nil), nodes[s].out...), a.out[fail[s]]...)
		for c := 0; c < n; c++ {
			if nx, ok := nodes[s].next[uint8(c)]; ok {
				fail[nx] = a.delta[int(fail[s])*n+c]
				a.delta[int(s)*n+c] = nx
				queue = append(queue, nx)
			} else {
				a.delta[int(s)*n+c] = a.delta[int(fail[s])*n+c]
			}
		}
	}
	for i := range a.out {
		a.hasOut[i] = len(a.out[i]) > 0
	}
	if len(a.out) < 1<<15 { // compact form: a quarter of the cache footprint
		a.d16 = make([]uint16, len(a.delta))
		for i, next := range a.delta {
			v := uint16(next)
			if a.hasOut[next] {
				v |= 1 << 15
			}
			a.d16[i] = v
		}
		a.delta = nil
		return a
	}
	for i, next := range a.delta { // pre-multiply; mark states with output
		v := next * int32(n)
		if a.hasOut[next] {
			v = -v
		}
		a.delta[i] = v
	}
	return a
}
