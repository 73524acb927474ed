package canon

import (
	"strings"
	"unicode/utf8"
)

// The scanners below are hand-written forms of the regular expressions of
// policyc/shells.py (_SEPARATORS, _POSIX_PIECES, _CMD_PIECES,
// _POWERSHELL_PIECES), which use look-around Go's regexp lacks. Every
// special character is ASCII, so scanning bytes finds what Python's
// character scan finds; an escape takes the whole next character.

// runeLen is the byte length of the character at s[i:] (1 at the end).
func runeLen(s string, i int) int {
	_, n := utf8.DecodeRuneInString(s[i:])
	return n
}

// escapeEnd is the end of an escape at i (escape character plus the next
// character), or i+1 when the escape ends the string.
func escapeEnd(s string, i int) int {
	if i+1 < len(s) {
		return i + 1 + runeLen(s, i+1)
	}
	return i + 1
}

// escaped reads an escape at i: the escaped character, or the escape
// itself when it ends the string; and the end.
func escaped(s string, i int) (text string, end int) {
	end = escapeEnd(s, i)
	if end == i+1 {
		return s[i:end], end
	}
	return s[i+1 : end], end
}

// quotedRun reads a quoted run opened at i and closed by quote, in which
// escape (if not 0) takes the next character: its text without the quotes
// and its end. An unclosed run, or a lone escape, ends with s.
func quotedRun(s string, i int, quote, escape byte) (text string, end int) {
	j := i + 1
	for j < len(s) && s[j] != quote {
		if escape != 0 && s[j] == escape {
			j = escapeEnd(s, j)
		} else {
			j++
		}
	}
	text = s[i+1 : j]
	if j < len(s) {
		j++
	}
	return text, j
}

// split ports shells.split: segments split on unquoted && || & | ; and
// newline, each trimmed, empty ones dropped.
func split(cmd string, d dialect) []string {
	var buf [8]string
	segments := buf[:0]
	start := 0
	inCmd := d == cmdExe
	special := &posixSpecial
	if inCmd {
		special = &cmdSpecial
	}
	for i := 0; i < len(cmd); {
		if !special[cmd[i]] {
			i++
			continue
		}
		end, sep := separatorAt(cmd, i, inCmd)
		if end == i {
			i++
			continue
		}
		if sep {
			if seg := goTrim(cmd[start:i]); seg != "" {
				segments = append(segments, seg)
			}
			start = end
		}
		i = end
	}
	if seg := goTrim(cmd[start:]); seg != "" {
		segments = append(segments, seg)
	}
	if len(segments) == 0 {
		return nil
	}
	return append(make([]string, 0, len(segments)), segments...)
}

// posixSpecial and cmdSpecial are the bytes at which separatorAt may find
// something, outside cmd.exe and in it.
var posixSpecial, cmdSpecial [256]bool

func init() {
	for _, c := range "&|;\n" {
		posixSpecial[c], cmdSpecial[c] = true, true
	}
	for _, c := range `\'"` {
		posixSpecial[c] = true
	}
	for _, c := range `^"` {
		cmdSpecial[c] = true
	}
}

// separatorAt is what _SEPARATORS matches at i: the end of a quoted or
// escaped run (sep false) or of a separator (sep true), or i when nothing
// matches there. (A lone backslash or caret at the end is taken as a run:
// nothing follows it either way.)
func separatorAt(cmd string, i int, inCmd bool) (end int, sep bool) {
	c := cmd[i]
	switch {
	case inCmd && c == '^', !inCmd && c == '\\':
		return escapeEnd(cmd, i), false
	case inCmd && c == '"':
		_, end = quotedRun(cmd, i, '"', '^')
		return end, false
	case !inCmd && c == '\'':
		_, end = quotedRun(cmd, i, '\'', 0)
		return end, false
	case !inCmd && c == '"':
		_, end = quotedRun(cmd, i, '"', '\\')
		return end, false
	case strings.HasPrefix(cmd[i:], "&&") || strings.HasPrefix(cmd[i:], "||"):
		return i + 2, true
	case c == '|' || c == ';' || c == '\n':
		return i + 1, true
	case c == '&' && !redirectionAmpersand(cmd, i, inCmd):
		return i + 1, true
	}
	return i, false
}

// redirectionAmpersand: a & after < or > (and, outside cmd.exe, before >)
// belongs to a redirection.
func redirectionAmpersand(s string, i int, inCmd bool) bool {
	if i > 0 && (s[i-1] == '<' || s[i-1] == '>') {
		return true
	}
	return !inCmd && i+1 < len(s) && s[i+1] == '>'
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t'
}

func blanksEnd(s string, i int) int {
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	return i
}

// plainEnd is the end of a run of characters none of which is in stops.
func plainEnd(s string, i int, stops string) int {
	if k := strings.IndexAny(s[i:], stops); k >= 0 {
		return i + k
	}
	return len(s)
}

// tokenize ports shells.tokenize: the words of one segment, quotes and
// escapes removed; white space is space and TAB.
func tokenize(cmd string, d dialect) []string {
	switch d {
	case cmdExe:
		return tokenizeCmd(cmd)
	case powerShell:
		return tokenizePowerShell(cmd)
	}
	return tokenizePOSIX(cmd)
}

// tokenizePOSIX ports shells._tokenize_posix: an empty quoted word is no word.
func tokenizePOSIX(cmd string) []string {
	if !strings.ContainsAny(cmd, `'"\`) {
		return blankFields(cmd)
	}
	tokens := make([]string, 0, 8)
	var cur token
	for i := 0; i < len(cmd); {
		c := cmd[i]
		switch {
		case isBlank(c):
			if s := cur.take(); s != "" {
				tokens = append(tokens, s)
			}
			i = blanksEnd(cmd, i)
		case c == '\'':
			text, end := quotedRun(cmd, i, '\'', 0)
			cur.add(text)
			i = end
		case c == '"':
			text, end := quotedRun(cmd, i, '"', '\\')
			cur.add(unescape(text, '\\', true))
			i = end
		case c == '\\':
			text, end := escaped(cmd, i)
			if text != "\n" { // backslash-newline: a line continuation
				cur.add(text)
			}
			i = end
		default:
			end := i + 1
			for end < len(cmd) && !posixWordStop[cmd[end]] {
				end++
			}
			cur.add(cmd[i:end])
			i = end
		}
	}
	if s := cur.take(); s != "" {
		tokens = append(tokens, s)
	}
	return tokens
}

// posixWordStop are the bytes that end a plain run of a POSIX word.
var posixWordStop = [256]bool{' ': true, '\t': true, '\'': true, '"': true, '\\': true}

// token accumulates the text of one word: a single piece is kept as it is
// (a substring of the command, no copy); several are joined.
type token struct {
	first string
	b     []byte
	many  bool
}

func (t *token) add(text string) {
	switch {
	case t.many:
		t.b = append(t.b, text...)
	case t.first == "":
		t.first = text
	case text != "":
		t.b = append(append(make([]byte, 0, len(t.first)+len(text)+16), t.first...), text...)
		t.many = true
	}
}

// take is the word's text ("" for none), and starts a new word.
func (t *token) take() string {
	s := t.first
	if t.many {
		s = string(t.b)
	}
	*t = token{}
	return s
}

// blankFields is strings.FieldsFunc on space and TAB.
func blankFields(s string) []string {
	n := 0
	for i := 0; i < len(s); {
		for i < len(s) && isBlank(s[i]) {
			i++
		}
		if i < len(s) {
			n++
		}
		for i < len(s) && !isBlank(s[i]) {
			i++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for i := 0; i < len(s); {
		for i < len(s) && isBlank(s[i]) {
			i++
		}
		start := i
		for i < len(s) && !isBlank(s[i]) {
			i++
		}
		if i > start {
			out = append(out, s[start:i])
		}
	}
	return out
}

// unescape replaces every escape+X by X (escape+newline by nothing when
// continuation is set); a trailing lone escape stays.
func unescape(text string, escape byte, continuation bool) string {
	if strings.IndexByte(text, escape) < 0 {
		return text
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		if text[i] != escape || i+1 >= len(text) {
			b.WriteByte(text[i])
			i++
			continue
		}
		end := escapeEnd(text, i)
		if !(continuation && text[i+1] == '\n') {
			b.WriteString(text[i+1 : end])
		}
		i = end
	}
	return b.String()
}

// words collects the words of a tokenizer in which a quoted empty word
// counts (shells._quoted_words).
type words struct {
	out    []string
	cur    token
	inWord bool
}

func (w *words) add(text string) {
	w.cur.add(text)
	w.inWord = true
}

func (w *words) end() {
	if w.inWord {
		w.out = append(w.out, w.cur.take())
	}
	w.cur = token{}
	w.inWord = false
}

// tokenizeCmd ports shells._tokenize_cmd: ^ escapes outside double quotes,
// carets inside them are literal.
func tokenizeCmd(cmd string) []string {
	var w words
	for i := 0; i < len(cmd); {
		c := cmd[i]
		switch {
		case isBlank(c):
			w.end()
			i = blanksEnd(cmd, i)
		case c == '"':
			text, end := quotedRun(cmd, i, '"', 0)
			w.add(text)
			i = end
		case c == '^':
			text, end := escaped(cmd, i)
			w.add(text)
			i = end
		default:
			end := plainEnd(cmd, i, " \t\"^")
			w.add(cmd[i:end])
			i = end
		}
	}
	w.end()
	return w.out
}

// tokenizePowerShell ports shells._tokenize_powershell: the backtick
// escapes, ” inside single quotes is one quote.
func tokenizePowerShell(cmd string) []string {
	var w words
	for i := 0; i < len(cmd); {
		c := cmd[i]
		switch {
		case isBlank(c):
			w.end()
			i = blanksEnd(cmd, i)
		case c == '\'':
			text, end := singleQuotedPowerShell(cmd, i)
			w.add(strings.ReplaceAll(text, "''", "'"))
			i = end
		case c == '"':
			text, end := quotedRun(cmd, i, '"', '`')
			w.add(unescape(text, '`', false))
			i = end
		case c == '`':
			text, end := escaped(cmd, i)
			w.add(text)
			i = end
		default:
			end := plainEnd(cmd, i, " \t'\"`")
			w.add(cmd[i:end])
			i = end
		}
	}
	w.end()
	return w.out
}

// singleQuotedPowerShell reads '((?:[^']|”)*)'? at i.
func singleQuotedPowerShell(s string, i int) (text string, end int) {
	j := i + 1
	for j < len(s) {
		if s[j] != '\'' {
			j++
		} else if j+1 < len(s) && s[j+1] == '\'' {
			j += 2
		} else {
			break
		}
	}
	text = s[i+1 : j]
	if j < len(s) {
		j++
	}
	return text, j
}
