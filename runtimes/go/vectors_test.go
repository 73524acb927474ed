package policyc

// The conformance vectors of runtimes/vectors/ (tests/vectors.py): every
// recorded decision byte for byte, every bad bundle refused with its
// message, and `policyc eval`'s output.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const vectorsDir = "../vectors"

type manifest struct {
	now  time.Time
	root *Value
}

func readManifest(t *testing.T) *manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(vectorsDir, "manifest.json"))
	if err != nil {
		t.Skipf("no vectors (%v): run `python -m tests.vectors`", err)
	}
	v, err := ParseJSON(data, 64, false)
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	now, _ := v.O.Get("now")
	when, err := time.Parse(time.RFC3339, now.S)
	if err != nil {
		t.Fatalf("manifest now: %v", err)
	}
	return &manifest{when, &v}
}

func member(v *Value, key string) *Value {
	m, _ := v.O.Get(key)
	if m == nil {
		return &nullValue
	}
	return m
}

// splitVector: the call and the recorded decision's exact bytes.
func splitVector(line []byte) (*Value, []byte, error) {
	mark := []byte(`, "decision": `)
	at := bytes.LastIndex(line, mark)
	if at < 0 || !bytes.HasSuffix(line, []byte("}")) {
		return nil, nil, fmt.Errorf("not a vector line")
	}
	v, err := ParseJSON(line, 1<<20, false)
	if err != nil {
		return nil, nil, err
	}
	return member(&v, "call"), line[at+len(mark) : len(line)-1], nil
}

func TestVectorSets(t *testing.T) {
	m := readManifest(t)
	sets := member(m.root, "sets")
	total, mismatches := 0, 0
	for i := range sets.A {
		set := &sets.A[i]
		name := member(set, "name").S
		b, err := LoadBundle(filepath.Join(vectorsDir, member(set, "bundle").S))
		if err != nil {
			t.Errorf("%s: bundle refused: %v", name, err)
			continue
		}
		data, err := os.ReadFile(filepath.Join(vectorsDir, member(set, "calls").S))
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
		for n, line := range lines {
			call, want, err := splitVector(line)
			if err != nil {
				t.Fatalf("%s line %d: %v", name, n+1, err)
			}
			total++
			got := b.DecideAny(call, &Options{Now: m.now}).JSONText()
			if got != string(want) {
				mismatches++
				if mismatches <= 25 {
					t.Errorf("%s line %d: call %s\n  want %s\n  got  %s", name, n+1, DumpsSorted(call), want, got)
				}
			}
		}
	}
	t.Logf("%d vector decisions, %d mismatches", total, mismatches)
	if total == 0 {
		t.Fatal("no vectors")
	}
}

func TestBadBundles(t *testing.T) {
	m := readManifest(t)
	bad := member(m.root, "bad_bundles")
	call := NewObject("tool", Str("exec"), "params", NewObject("command", Str("ls")))
	for i := range bad.A {
		entry := &bad.A[i]
		name := member(entry, "name").S
		data, err := os.ReadFile(filepath.Join(vectorsDir, member(entry, "bundle").S))
		if err != nil {
			t.Fatal(err)
		}
		want := member(entry, "message").S
		_, err = LoadBundleBytes(data, "bundle")
		if err == nil {
			t.Errorf("%s: loaded", name)
			continue
		}
		if err.Error() != want {
			t.Errorf("%s:\n  want %s\n  got  %s", name, want, err.Error())
		}
		decision := FailClosedBytes(data)(&call, nil)
		wantDecision := DumpsSorted(member(entry, "decision"))
		if decision.JSONText() != string(wantDecision) {
			t.Errorf("%s: fail closed decision %s, want %s", name, decision.JSONText(), wantDecision)
		}
	}
	if len(bad.A) == 0 {
		t.Fatal("no bad bundles")
	}
}

func TestEvalOutput(t *testing.T) {
	m := readManifest(t)
	ev := member(m.root, "eval")
	b, err := LoadBundle(filepath.Join(vectorsDir, member(ev, "bundle").S))
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.ReadFile(filepath.Join(vectorsDir, member(ev, "input").S))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(vectorsDir, member(ev, "output").S))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	decide := func(call *Value) (*Decision, error) { return b.DecideValue(call, &Options{Now: time.Now()}) }
	if err := Eval(bytes.NewReader(in), &out, decide); err != nil {
		t.Fatal(err)
	}
	gotLines := strings.Split(out.String(), "\n")
	wantLines := strings.Split(string(want), "\n")
	bad := 0
	for i := 0; i < len(gotLines) || i < len(wantLines); i++ {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			bad++
			if bad <= 20 {
				t.Errorf("eval line %d:\n  want %s\n  got  %s", i+1, trim(w), trim(g))
			}
		}
	}
}

func trim(s string) string {
	if len(s) > 600 {
		return s[:600] + "..."
	}
	return s
}

func TestOversizedAndEdgeLines(t *testing.T) {
	decide := func(call *Value) (*Decision, error) { return deny("x"), nil }
	big := bytes.Repeat([]byte("a"), MaxCallBytes+1)
	exact := bytes.Repeat([]byte(" "), MaxCallBytes)
	input := bytes.Join([][]byte{big, exact, []byte("{}"), big}, []byte("\n"))
	var out bytes.Buffer
	if err := Eval(bytes.NewReader(input), &out, decide); err != nil {
		t.Fatal(err)
	}
	want := `{"action": "deny", "error": "line 1: line is over 1048576 bytes", "line": 1}
{"action": "deny", "error": "line 2: blank line (expected a JSON tool call)", "line": 2}
{"action": "deny", "line": 3, "matched_policies": [], "message": "x", "project": false, "rule": null}
{"action": "deny", "error": "line 4: line is over 1048576 bytes", "line": 4}
`
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}
