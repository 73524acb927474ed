package canon

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// pythonChar is one line of the table tests/test_canon_vectors.py writes.
type pythonChar struct {
	alpha, decimal bool
	lower          string // "" when unchanged
}

func readPythonTable(t *testing.T, path string) map[rune]pythonChar {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[rune]pythonChar{}
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) != 4 {
			t.Fatalf("bad line %q", scanner.Text())
		}
		cp, err := strconv.ParseInt(fields[0], 16, 32)
		if err != nil {
			t.Fatal(err)
		}
		out[rune(cp)] = pythonChar{fields[1] == "1", fields[2] == "1", decodeHex(t, fields[3])}
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func decodeHex(t *testing.T, field string) string {
	if field == "-" {
		return ""
	}
	var b strings.Builder
	for _, h := range strings.Split(field, ",") {
		cp, err := strconv.ParseInt(h, 16, 32)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteRune(rune(cp))
	}
	return b.String()
}

func orSelf(s, self string) string {
	if s == "" {
		return self
	}
	return s
}

// TestPythonUnicode compares every code point's properties with the Python
// table named by $CANON_PYTHON_UNICODE (written by tests/test_canon_vectors.py).
func TestPythonUnicode(t *testing.T) {
	path := os.Getenv("CANON_PYTHON_UNICODE")
	if path == "" {
		t.Skip("CANON_PYTHON_UNICODE not set (tests/test_canon_vectors.py sets it)")
	}
	table := readPythonTable(t, path)
	bad := 0
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if 0xD800 <= r && r < 0xE000 {
			continue
		}
		want, s := table[r], string(r)
		got := pythonChar{isAlpha(r), isDecimal(r), Lower(s)}
		want.lower = orSelf(want.lower, s)
		if got != want {
			if bad++; bad <= 20 {
				t.Errorf("U+%04X: got %+v, want %+v", r, got, want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d code points differ", bad)
	}
}

func TestLowerIsOneToOne(t *testing.T) {
	for in, want := range map[string]string{
		"ΑΣ": "ασ", "Σ": "σ", "ΣΑ": "σα", "ΑΣ'": "ασ'", "İΣ": "iσ", "ΑΣ\u0301 Β": "ασ\u0301 β", "A\xffB": "a\xffb",
		"\u212a": "k", "ABC": "abc", "abc": "abc",
	} {
		if got := Lower(in); got != want {
			t.Errorf("Lower(%q) = %q, want %q", in, got, want)
		}
	}
}
