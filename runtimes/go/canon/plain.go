package canon

// The plain-command fast path (canonicalize._PLAIN, _plain_segments,
// _GrantAnalysis.of_plain). A *plain* command is single-spaced words of
// characters no reading treats specially (no quote, escape, `$`, backtick,
// caret, redirection, grouping, comment or control character), in segments
// joined by " && ", " || ", " | " or "; ", each segment's first word
// lower-case ([a-z0-9._+-]+) and naming no shell, wrapper, executor,
// multi-call binary, rm, find, eval, assignment builtin or control word.
// Every spec §5 reading of such a command is its segments as written:
// normalized they are the same words; there is no substitution body,
// wrapper, alias, canonical deletion, dialect reading or variable
// assignment. plain_test.go checks it against the full analysis.

// plainFastPath switches the fast path (tests turn it off to compare).
var plainFastPath = true

// specialHeads are the segment heads that keep a command off the fast path
// (_SPECIAL_HEADS).
func specialHeads(s string) bool {
	switch s {
	case "sh", "bash", "zsh", "dash", "ash", "ksh",
		"cmd", "cmd.exe", "powershell", "powershell.exe", "pwsh", "pwsh.exe", "busybox", "toybox",
		"command", "exec", "env", "nohup", "nice", "timeout", "setsid", "stdbuf", "rm", "find", "eval",
		"export", "declare", "typeset", "set", "setx", "set-item", "new-item", "set-content", "case",
		"if", "elif", "while", "until", "then", "do", "else", "!", "fi", "done", "esac":
		return true
	}
	return false
}

// Byte classes of the plain grammar: plainWordByte for [A-Za-z0-9_./,:@%+=~*?-],
// plainHeadByte for [a-z0-9._+-].
var plainWordByte, plainHeadByte [256]bool

func init() {
	for c := 'a'; c <= 'z'; c++ {
		plainWordByte[c], plainHeadByte[c] = true, true
		plainWordByte[c-'a'+'A'] = true
	}
	for c := '0'; c <= '9'; c++ {
		plainWordByte[c], plainHeadByte[c] = true, true
	}
	for _, c := range "_./,:@%+=~*?-" {
		plainWordByte[c] = true
	}
	for _, c := range "._+-" {
		plainHeadByte[c] = true
	}
}

// plainSegments ports canonicalize._plain_segments: the segments of a plain
// command, or ok false. The segments are substrings of command; buf (may be
// nil) is reused for them.
func plainSegments(command string, buf []string) (segments []string, ok bool) {
	n := len(command)
	if n == 0 || n > MaxInputBytes {
		return nil, false
	}
	segments = buf[:0]
	i := 0
	for {
		// a segment: its head, then " WORD"s
		start := i
		for i < n && plainHeadByte[command[i]] {
			i++
		}
		if i == start || specialHeads(command[start:i]) {
			return nil, false
		}
		for i+1 < n && command[i] == ' ' && plainWordByte[command[i+1]] {
			i += 2
			for i < n && plainWordByte[command[i]] {
				i++
			}
		}
		segments = append(segments, command[start:i])
		if i == n {
			return segments, true
		}
		// a separator: " && ", " || ", " | " or "; "
		switch {
		case command[i] == ';':
			if i+1 >= n || command[i+1] != ' ' {
				return nil, false
			}
			i += 2
		case command[i] == ' ' && i+3 < n && command[i+3] == ' ' &&
			(command[i+1] == '&' && command[i+2] == '&' || command[i+1] == '|' && command[i+2] == '|'):
			i += 4
		case command[i] == ' ' && i+2 < n && command[i+1] == '|' && command[i+2] == ' ':
			i += 3
		default:
			return nil, false
		}
	}
}

// plainGrant ports _GrantAnalysis.of_plain.
func plainGrant(segments []string) *grantAnalysis {
	g := &grantAnalysis{composite: len(segments) > 1}
	if len(segments) == 1 {
		g.normalized = segments[0]
		g.components = segments
		return g
	}
	size := 4 * (len(segments) - 1)
	for _, s := range segments {
		size += len(s)
	}
	b := make([]byte, 0, size)
	for k, s := range segments {
		if k > 0 {
			b = append(b, " && "...)
		}
		b = append(b, s...)
	}
	g.normalized = string(b)
	g.components = dedupe(segments)
	return g
}
