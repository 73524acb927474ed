package canon

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// The plain-command fast path against the full analysis, over the
// vocabulary of tests/test_canonicalize.py (test_the_plain_command_fast_path_*):
// every head × word in four shapes, every pair of heads across every
// separator, and random commands of 1-4 segments.

var (
	plainHeads = []string{"git", "ls", "make", "npm", "cargo", "sudo", "x", "a.b", "-x", "Git", "/bin/ls", "./run",
		"rm", "find", "busybox", "env", "bash", "sh", "nohup", "timeout", "eval", "export", "set", "cmd", "pwsh",
		"if", "case", "done", "set-item", "FOO=1", "Remove-Item",
		// more of _SPECIAL_HEADS, and near misses
		"toybox", "command", "exec", "nice", "setsid", "stdbuf", "declare", "typeset", "setx", "new-item",
		"set-content", "while", "then", "fi", "esac", "!", "zsh", "cmd.exe", "pwsh.exe", "powershell", "rmdir",
		"finder", "envy", "sh2", "c++", "_x", "1", "git.exe", "my-tool"}
	plainWords = []string{"status", "-la", "src/a.py", "x=y", "--force", "*.py", "a,b", "~/.ssh", "@x", "%PATH%", "1",
		"-rf", "/", "'q'", `"q"`, "$(id)", "`id`", `a\b`, "2>&1", ">out", "#c", "(x)", "{x}", "^", "é", "!", "-c",
		"/c", "-Command", "<<<", "-delete", "--", "-exec", "env:X",
		// more plain words and near misses
		"rm", "find", "-r", "-f", "Env:Path", "a=b=c", "?", "+x", "x:y", "İ", "a&b", "a|b", "x;", "-", "{}", ";",
		"SetEnvironmentVariable", "https://example.com/a?b=c", "status;", "&&"}
	plainSeparators = []string{" && ", " || ", " | ", "; ", " ; ", "&&", " & ", "\n", " &&  ", ";", " |", "| ",
		" ||", ";;", " && ; "}
	plainJoiners = []string{" ", " ", " ", "  ", "\t"}
)

type fact struct {
	name string
	got  any
}

func prefix(p string) Matcher {
	return func(s string) bool { return strings.HasPrefix(s, p) }
}

// facts is everything a caller can ask a CommandAnalysis, in order.
func facts(command string) []fact {
	a := NewCommandAnalysis(command)
	g := a.grantAnalysis()
	head, _, _ := strings.Cut(command, " ")
	out := []fact{
		{"Spellings", a.Spellings()}, {"Overflow", a.Overflow()}, {"ContainsTexts", a.ContainsTexts()},
		{"FoldedSpellings", a.FoldedSpellings()}, {"HeadFold", a.HeadFold()},
		{"GrantingTexts", a.GrantingTexts()}, {"EnvNames", a.EnvNames()}, {"Components", a.Components()},
		{"normalized", g.normalized}, {"composite", g.composite}, {"truncated", g.truncated},
		{"components", g.components},
	}
	var outcomes []bool
	for _, granting := range []bool{true, false} {
		for _, m := range []Matcher{prefix(head), prefix("x"), nil} {
			for _, c := range [][]string{nil, {"status"}, {"S"}} {
				for _, e := range []Matcher{prefix(head), prefix("zz"), nil} {
					for _, extra := range []Matcher{nil, prefix(head)} {
						outcomes = append(outcomes, a.Matches(granting, m, c, e, extra, extra, extra, extra))
					}
				}
			}
		}
	}
	return append(out, fact{"Matches", outcomes})
}

func equalFacts(x, y []fact) (string, bool) {
	for i := range x {
		switch v := x[i].got.(type) {
		case []string:
			if !slices.Equal(v, y[i].got.([]string)) {
				return x[i].name, false
			}
		case []bool:
			w := y[i].got.([]bool)
			for k := range v {
				if v[k] != w[k] {
					return fmt.Sprintf("%s[%d]", x[i].name, k), false
				}
			}
		default:
			if x[i].got != y[i].got {
				return x[i].name, false
			}
		}
	}
	return "", true
}

// sameAsFullAnalysis checks one command; it reports whether the command
// took the fast path.
func sameAsFullAnalysis(t *testing.T, command string) bool {
	t.Helper()
	_, plain := plainSegments(command, nil)
	fast := facts(command)
	plainFastPath = false
	full := facts(command)
	plainFastPath = true
	if name, ok := equalFacts(fast, full); !ok {
		for i := range fast {
			if fast[i].name == name || strings.HasPrefix(name, fast[i].name+"[") {
				t.Fatalf("%q (plain %v): %s: fast %#v, full %#v", command, plain, name, fast[i].got, full[i].got)
			}
		}
		t.Fatalf("%q (plain %v): %s differs", command, plain, name)
	}
	return plain
}

func TestPlainFastPathOnEveryHeadAndWord(t *testing.T) {
	plain := 0
	for _, head := range plainHeads {
		for _, word := range plainWords {
			for _, cmd := range []string{head + " " + word, head + " " + word + " x", "ls && " + head + " " + word + " x=y",
				head + " -c " + word, word + " " + head, head} {
				if sameAsFullAnalysis(t, cmd) {
					plain++
				}
			}
		}
		for _, other := range plainHeads {
			for _, sep := range plainSeparators[:6] {
				if sameAsFullAnalysis(t, head+" status"+sep+other+" -la") {
					plain++
				}
			}
		}
	}
	t.Logf("%d plain commands", plain)
}

func TestPlainFastPathIsTheFullAnalysis(t *testing.T) {
	r := rand.New(rand.NewSource(20260115))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	plain := 0
	pick := func(items []string) string { return items[r.Intn(len(items))] }
	var heads, words []string // the plain part of the vocabulary
	for _, h := range plainHeads {
		if _, ok := plainSegments(h, nil); ok {
			heads = append(heads, h)
		}
	}
	for _, w := range plainWords {
		if _, ok := plainSegments("x "+w, nil); ok {
			words = append(words, w)
		}
	}
	for k := 0; k < n; k++ {
		var b strings.Builder
		segments := 1 + r.Intn(4)
		for s := 0; s < segments; s++ {
			if s > 0 {
				if r.Intn(2) == 0 {
					b.WriteString(pick(plainSeparators[:4])) // plain ones, often
				} else {
					b.WriteString(pick(plainSeparators))
				}
			}
			joiner := " "
			if r.Intn(4) == 0 {
				joiner = pick(plainJoiners)
			}
			if r.Intn(3) == 0 {
				b.WriteString(pick(plainHeads))
			} else {
				b.WriteString(pick(heads))
			}
			for w := r.Intn(5); w > 0; w-- {
				b.WriteString(joiner)
				if r.Intn(4) == 0 {
					b.WriteString(pick(plainWords))
				} else {
					b.WriteString(pick(words))
				}
			}
		}
		if sameAsFullAnalysis(t, b.String()) {
			plain++
		}
	}
	if plain < n/10 {
		t.Fatalf("only %d of %d commands were plain", plain, n)
	}
	t.Logf("%d of %d commands plain", plain, n)
}

func TestPlainCommandsTakeTheFastPath(t *testing.T) {
	segments, ok := plainSegments("git status src/a.py && make test | tee log", nil)
	if !ok || !slices.Equal(segments, []string{"git status src/a.py", "make test", "tee log"}) {
		t.Fatalf("segments %q %v", segments, ok)
	}
	for _, cmd := range []string{"rm -rf x", "git status 2>&1", "FOO=1 make", "Git status", "git  status",
		"echo $(id)", strings.Repeat("x", 9000), "", " ls", "ls ", "ls;", "ls; ", "ls && ", "ls |", "a;b",
		"ls -la\n", "é"} {
		if _, ok := plainSegments(cmd, nil); ok {
			t.Errorf("%q took the fast path", cmd)
		}
	}
	for _, cmd := range []string{"ls", "ls; pwd", "a || b | c && d; e", strings.Repeat("x", MaxInputBytes)} {
		if _, ok := plainSegments(cmd, nil); !ok {
			t.Errorf("%q did not take the fast path", cmd)
		}
	}
}
