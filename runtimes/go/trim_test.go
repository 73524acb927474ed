package policyc

import (
	"strings"
	"testing"
)

// GoTrim must trim exactly goSpace, callfields.GO_SPACE (every code point,
// alone and around a word).
func TestTrimsAreTheCutsets(t *testing.T) {
	for r := rune(0); r <= 0x10FFFF; r++ {
		if 0xD800 <= r && r <= 0xDFFF {
			continue
		}
		c := string(r)
		for _, s := range []string{c, c + "x" + c, "x" + c, c + "x"} {
			if got, want := GoTrim(s), strings.Trim(s, goSpace); got != want {
				t.Fatalf("GoTrim(%q) = %q, want %q", s, got, want)
			}
		}
	}
	for _, s := range []string{"", "\xed\xa0\x80", " \xff ", "\xc2", " \xc2\x85"} {
		if GoTrim(s) != strings.Trim(s, goSpace) {
			t.Fatalf("%q", s)
		}
	}
}

// CleanPath's fast path (alreadyClean) agrees with the full cleaning on
// every path of up to 6 characters over "a", ".", "/".
func TestCleanPathFastPath(t *testing.T) {
	var walk func(p string)
	walk = func(p string) {
		want := cleanSlow(p)
		if got := CleanPath(p); got != want {
			t.Fatalf("CleanPath(%q) = %q, want %q", p, got, want)
		}
		if len(p) < 6 {
			for _, c := range []string{"a", ".", "/", "bc"} {
				walk(p + c)
			}
		}
	}
	walk("")
}

// cleanSlow is CleanPath without its fast path.
func cleanSlow(path string) string {
	rooted := strings.HasPrefix(path, "/")
	var parts []string
	for _, part := range strings.Split(path, "/") {
		switch part {
		case "", ".":
			continue
		case "..":
			if len(parts) > 0 && parts[len(parts)-1] != ".." {
				parts = parts[:len(parts)-1]
			} else if !rooted {
				parts = append(parts, "..")
			}
			continue
		}
		parts = append(parts, part)
	}
	body := strings.Join(parts, "/")
	if rooted {
		return "/" + body
	}
	if body == "" {
		return "."
	}
	return body
}
