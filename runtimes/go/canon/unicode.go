package canon

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Python 3.11's string methods (str.lower, str.isalpha, str.isdecimal) follow
// Unicode 14.0; Go's unicode package follows a newer version. The helpers in
// this file answer as Python does: a code point assigned after Unicode 14.0 is
// unassigned to Python (no letter, no digit, no case). tests/test_canon_vectors.py checks every code point
// against the running Python interpreter (TestPythonUnicode).

// newerThanPython holds the code points Go's tables assign (as of Unicode
// 17.0) that Unicode 14.0 leaves unassigned.
var newerThanPython = &unicode.RangeTable{
	R16: []unicode.Range16{
		{0x088f, 0x088f, 1}, {0x0897, 0x0897, 1}, {0x0c5c, 0x0c5c, 1}, {0x0cdc, 0x0cdc, 1},
		{0x0cf3, 0x0cf3, 1}, {0x0ece, 0x0ece, 1}, {0x1acf, 0x1add, 1}, {0x1ae0, 0x1aeb, 1},
		{0x1b4e, 0x1b4f, 1}, {0x1b7f, 0x1b7f, 1}, {0x1c89, 0x1c8a, 1}, {0x20c1, 0x20c1, 1},
		{0x2427, 0x2429, 1}, {0x2b96, 0x2b96, 1}, {0x2ffc, 0x2fff, 1}, {0x31e4, 0x31e5, 1},
		{0x31ef, 0x31ef, 1}, {0xa7cb, 0xa7cf, 1}, {0xa7d2, 0xa7d2, 1}, {0xa7d4, 0xa7d4, 1},
		{0xa7da, 0xa7dc, 1}, {0xa7f1, 0xa7f1, 1}, {0xfbc3, 0xfbd2, 1}, {0xfd90, 0xfd91, 1},
		{0xfdc8, 0xfdce, 1},
	},
	R32: []unicode.Range32{
		{0x105c0, 0x105f3, 1}, {0x10940, 0x10959, 1}, {0x10d40, 0x10d65, 1}, {0x10d69, 0x10d85, 1},
		{0x10d8e, 0x10d8f, 1}, {0x10ec2, 0x10ec7, 1}, {0x10ed0, 0x10ed8, 1}, {0x10efa, 0x10eff, 1},
		{0x1123f, 0x11241, 1}, {0x11380, 0x11389, 1}, {0x1138b, 0x1138b, 1}, {0x1138e, 0x1138e, 1},
		{0x11390, 0x113b5, 1}, {0x113b7, 0x113c0, 1}, {0x113c2, 0x113c2, 1}, {0x113c5, 0x113c5, 1},
		{0x113c7, 0x113ca, 1}, {0x113cc, 0x113d5, 1}, {0x113d7, 0x113d8, 1}, {0x113e1, 0x113e2, 1},
		{0x116d0, 0x116e3, 1}, {0x11b00, 0x11b09, 1}, {0x11b60, 0x11b67, 1}, {0x11bc0, 0x11be1, 1},
		{0x11bf0, 0x11bf9, 1}, {0x11db0, 0x11ddb, 1}, {0x11de0, 0x11de9, 1}, {0x11f00, 0x11f10, 1},
		{0x11f12, 0x11f3a, 1}, {0x11f3e, 0x11f5a, 1}, {0x1342f, 0x1342f, 1}, {0x13439, 0x13455, 1},
		{0x13460, 0x143fa, 1}, {0x16100, 0x16139, 1}, {0x16d40, 0x16d79, 1}, {0x16ea0, 0x16eb8, 1},
		{0x16ebb, 0x16ed3, 1}, {0x16ff2, 0x16ff6, 1}, {0x187f8, 0x187ff, 1}, {0x18cff, 0x18cff, 1},
		{0x18d09, 0x18d1e, 1}, {0x18d80, 0x18df2, 1}, {0x1b132, 0x1b132, 1}, {0x1b155, 0x1b155, 1},
		{0x1cc00, 0x1ccfc, 1}, {0x1cd00, 0x1ceb3, 1}, {0x1ceba, 0x1ced0, 1}, {0x1cee0, 0x1cef0, 1},
		{0x1d2c0, 0x1d2d3, 1}, {0x1df25, 0x1df2a, 1}, {0x1e030, 0x1e06d, 1}, {0x1e08f, 0x1e08f, 1},
		{0x1e4d0, 0x1e4f9, 1}, {0x1e5d0, 0x1e5fa, 1}, {0x1e5ff, 0x1e5ff, 1}, {0x1e6c0, 0x1e6de, 1},
		{0x1e6e0, 0x1e6f5, 1}, {0x1e6fe, 0x1e6ff, 1}, {0x1f6d8, 0x1f6d8, 1}, {0x1f6dc, 0x1f6dc, 1},
		{0x1f774, 0x1f77f, 1}, {0x1f7d9, 0x1f7d9, 1}, {0x1f8b2, 0x1f8bb, 1}, {0x1f8c0, 0x1f8c1, 1},
		{0x1f8d0, 0x1f8d8, 1}, {0x1fa54, 0x1fa57, 1}, {0x1fa75, 0x1fa77, 1}, {0x1fa87, 0x1fa8a, 1},
		{0x1fa8e, 0x1fa8f, 1}, {0x1faad, 0x1faaf, 1}, {0x1fabb, 0x1fabf, 1}, {0x1fac6, 0x1fac6, 1},
		{0x1fac8, 0x1fac8, 1}, {0x1facd, 0x1facf, 1}, {0x1fada, 0x1fadc, 1}, {0x1fadf, 0x1fadf, 1},
		{0x1fae8, 0x1faea, 1}, {0x1faef, 0x1faef, 1}, {0x1faf7, 0x1faf8, 1}, {0x1fbcb, 0x1fbef, 1},
		{0x1fbfa, 0x1fbfa, 1}, {0x2b739, 0x2b73f, 1}, {0x2cea2, 0x2cead, 1}, {0x2ebf0, 0x2ee5d, 1},
		{0x31350, 0x33479, 1},
	},
}

func newer(r rune) bool {
	return r > unicode.MaxLatin1 && unicode.Is(newerThanPython, r)
}

// isAlpha is Python's str.isalpha on one character.
func isAlpha(r rune) bool {
	return unicode.IsLetter(r) && !newer(r)
}

// isDecimal is Python's str.isdecimal on one character.
func isDecimal(r rune) bool {
	return unicode.Is(unicode.Nd, r) && !newer(r)
}

// Lower ports shells.lower, the engine's Go strings.ToLower: each
// character's simple lower-case mapping, one to one (İ becomes "i", Σ always
// "σ"), with Python's character tables; bytes that are not UTF-8 kept.
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
			b.WriteRune(lowerRune(r))
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

func lowerRune(r rune) rune {
	if newer(r) {
		return r
	}
	return unicode.ToLower(r)
}
