package main

import (
	"bufio"
	"fmt"
	"os"
	"unicode"
)

// One line per code point (surrogates skipped) where Go's answer is not the
// default: CP LETTER DIGIT LOWER(hex or -).
func main() {
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r < 0xE000 {
			continue
		}
		l, d, lo := unicode.IsLetter(r), unicode.IsDigit(r), unicode.ToLower(r)
		if l || d || lo != r {
			b := func(x bool) int { if x { return 1 }; return 0 }
			low := "-"
			if lo != r {
				low = fmt.Sprintf("%x", lo)
			}
			fmt.Fprintf(w, "%x %d %d %s\n", r, b(l), b(d), low)
		}
	}
}
