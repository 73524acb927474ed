package canon

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// isAlpha is the engine's unicode.IsLetter on one character
// (callfields.go_is_letter).
func isAlpha(r rune) bool { return unicode.IsLetter(r) }

// isDecimal is the engine's unicode.IsDigit on one character
// (callfields.go_is_digit).
func isDecimal(r rune) bool { return unicode.IsDigit(r) }

// Lower ports shells.lower, the engine's Go strings.ToLower: each
// character's simple lower-case mapping, one to one (İ becomes "i", Σ always
// "σ"); bytes that are not UTF-8 kept.
func Lower(s string) string {
	if ascii, upper := asciiCase(s); ascii {
		if !upper {
			return s
		}
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteByte(s[i])
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
		i += size
	}
	return b.String()
}

func asciiCase(s string) (ascii, upper bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return false, false
		}
		upper = upper || ('A' <= c && c <= 'Z')
	}
	return true, upper
}
