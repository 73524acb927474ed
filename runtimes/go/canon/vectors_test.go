package canon

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

const vectorsPath = "../../vectors/canonicalize.jsonl"

// vector is one line of canonicalize.jsonl (tests/canon_vectors.py).
type vector struct {
	Command            string      `json:"command"`
	Spellings          []string    `json:"spellings"`
	Overflow           bool        `json:"overflow"`
	ContainsTexts      []string    `json:"contains_texts"`
	FoldedSpellings    []string    `json:"folded_spellings"`
	HeadFold           bool        `json:"head_fold"`
	GrantingTexts      []string    `json:"granting_texts"`
	Components         []string    `json:"components"`
	AnalysisComponents *[]string   `json:"analysis_components"`
	Composite          bool        `json:"composite"`
	EnvNames           []string    `json:"env_names"`
	Matches            []matchCase `json:"matches"`
}

// matchCase is a sample predicate: each matcher is a list of prefixes (a
// string matches when it starts with one), nil when absent.
type matchCase struct {
	Granting            bool     `json:"granting"`
	Contains            []string `json:"contains"`
	Matches             []string `json:"matches_prefix"`
	Excludes            []string `json:"excludes_prefix"`
	Composite           []string `json:"composite_prefix"`
	Folded              []string `json:"folded_prefix"`
	HeadFolded          []string `json:"head_folded_prefix"`
	CompositeHeadFolded []string `json:"composite_head_folded_prefix"`
	Result              bool     `json:"result"`
}

func prefixMatcher(prefixes []string) Matcher {
	if prefixes == nil {
		return nil
	}
	return func(s string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(s, p) {
				return true
			}
		}
		return false
	}
}

func (c matchCase) run(a *CommandAnalysis) bool {
	return a.Matches(c.Granting, prefixMatcher(c.Matches), c.Contains, prefixMatcher(c.Excludes),
		prefixMatcher(c.Composite), prefixMatcher(c.Folded), prefixMatcher(c.HeadFolded),
		prefixMatcher(c.CompositeHeadFolded))
}

func loadVectors(t testing.TB) []vector {
	f, err := os.Open(vectorsPath)
	if err != nil {
		t.Fatalf("vectors: %v (run `python -m tests.canon_vectors`)", err)
	}
	defer f.Close()
	var out []vector
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 1<<20), 1<<24)
	for scanner.Scan() {
		var v vector
		if err := json.Unmarshal(scanner.Bytes(), &v); err != nil {
			t.Fatalf("vectors line %d: %v", len(out)+1, err)
		}
		out = append(out, v)
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sameStrings compares lists, nil and empty alike.
func sameStrings(a, b []string) bool {
	return len(a) == 0 && len(b) == 0 || reflect.DeepEqual(a, b)
}

// mismatches lists every field of v the port computes differently.
func mismatches(v vector) []string {
	var out []string
	a := NewCommandAnalysis(v.Command)
	check := func(field string, got, want any) {
		g, gok := got.([]string)
		w, wok := want.([]string)
		if gok && wok && sameStrings(g, w) || !gok && reflect.DeepEqual(got, want) {
			return
		}
		out = append(out, fmt.Sprintf("%s: got %q, want %q", field, got, want))
	}
	check("spellings", a.Spellings(), v.Spellings)
	check("overflow", a.Overflow(), v.Overflow)
	check("contains_texts", a.ContainsTexts(), v.ContainsTexts)
	check("folded_spellings", a.FoldedSpellings(), v.FoldedSpellings)
	check("head_fold", a.HeadFold(), v.HeadFold)
	check("granting_texts", a.GrantingTexts(), v.GrantingTexts)
	check("env_names", a.EnvNames(), v.EnvNames)
	analysisComponents := v.Components
	if v.AnalysisComponents != nil {
		analysisComponents = *v.AnalysisComponents
	}
	check("analysis components", a.Components(), analysisComponents)
	check("components", CommandComponents(v.Command), v.Components)
	check("composite", IsComposite(v.Command), v.Composite)
	check("command_spellings", CommandSpellings(v.Command), v.Spellings)
	check("env_assignment_names", EnvAssignmentNames(v.Command), v.EnvNames)
	for i, c := range v.Matches {
		check(fmt.Sprintf("matches[%d] (shared analysis)", i), c.run(a), c.Result)
		fresh := CommandMatches(v.Command, c.Granting, prefixMatcher(c.Matches), c.Contains,
			prefixMatcher(c.Excludes), prefixMatcher(c.Composite), prefixMatcher(c.Folded),
			prefixMatcher(c.HeadFolded), prefixMatcher(c.CompositeHeadFolded))
		check(fmt.Sprintf("matches[%d] (CommandMatches)", i), fresh, c.Result)
	}
	return out
}

func TestVectors(t *testing.T) {
	vectors := loadVectors(t)
	if len(vectors) < 5000 {
		t.Fatalf("only %d vectors", len(vectors))
	}
	failed := 0
	for _, v := range vectors {
		bad := mismatches(v)
		if len(bad) == 0 {
			continue
		}
		failed++
		if failed <= 20 {
			t.Errorf("command %q:\n  %s", v.Command, strings.Join(bad, "\n  "))
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d vectors mismatch", failed, len(vectors))
	}
}

// BenchmarkAnalysis: Spellings, GrantingTexts, FoldedSpellings and EnvNames
// of a fresh analysis per command (one op is one command of the vectors).
func BenchmarkAnalysis(b *testing.B) {
	vectors := loadVectors(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := NewCommandAnalysis(vectors[i%len(vectors)].Command)
		a.Spellings()
		a.GrantingTexts()
		a.FoldedSpellings()
		a.EnvNames()
	}
}
