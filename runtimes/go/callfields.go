package policyc

// A port of policyc/callfields.py: tool calls, their aliased fields, path
// spellings, url hosts (Go net/url rules as callfields.py mirrors them) and
// the input limits.

import (
	"errors"
	"math"
	"math/big"
	"os"
	pathpkg "path"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"policyc.dev/runtime/canon"
)

const (
	// MaxGlobInputBytes: a glob input longer than this never matches.
	MaxGlobInputBytes = 8192
	// MaxResponseBytes: a longer response is denied where a response rule is in scope.
	MaxResponseBytes = 1 << 20
)

var (
	commandAliases = []string{"command", "cmd", "input"}
	pathAliases    = []string{"file_path", "path", "file", "filepath", "target"}
	urlAliases     = []string{"url", "uri", "href"}
)

const goSpace = "\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005" +
	"\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"

// GoTrim is Go strings.TrimSpace (callfields.go_trim).
// (strings.TrimSpace trims exactly goSpace, unicode.IsSpace, with an ASCII
// fast path.)
func GoTrim(s string) string { return strings.TrimSpace(s) }

// CleanPath is callfields.clean_path: Go's path.Clean (filepath.Clean on Unix).
func CleanPath(p string) string { return pathpkg.Clean(p) }

func joinPath(directory, path string) string {
	if directory == "" {
		return CleanPath(path)
	}
	return CleanPath(directory + "/" + path)
}

var hostSymlinks = [][2]string{
	{"/proc/self/root", "/"}, {"/proc/thread-self/root", "/"},
	{"/bin", "/usr/bin"}, {"/sbin", "/usr/sbin"}, {"/lib", "/usr/lib"}, {"/lib64", "/usr/lib64"},
	{"/var/run", "/run"}, {"/var/lock", "/run/lock"},
}

const engineExecutableDefault = "/usr/local/bin/rampart"

func engineExecutable() string {
	named := os.Getenv("POLICYC_ENGINE_EXECUTABLE")
	if strings.HasPrefix(named, "/") {
		return CleanPath(named)
	}
	return engineExecutableDefault
}

func unresolvable(rest string) bool {
	if strings.IndexByte(rest, 0) >= 0 {
		return true
	}
	for _, name := range strings.Split(rest, "/") {
		if len(name) > 255 {
			return true
		}
	}
	return false
}

// ResolveHostSymlinks is callfields.resolve_host_symlinks.
func ResolveHostSymlinks(path string) string {
	for n := 0; n < len(hostSymlinks)+1; n++ {
		if path == "/proc/self/exe" || path == "/proc/thread-self/exe" {
			return engineExecutable()
		}
		found := false
		for _, l := range hostSymlinks {
			link, target := l[0], l[1]
			if path == link || strings.HasPrefix(path, link+"/") {
				if unresolvable(path[len(link):]) {
					return path
				}
				path = CleanPath(target + path[len(link):])
				found = true
				break
			}
		}
		if !found {
			return path
		}
	}
	return path
}

// PathSpellings is callfields.path_spellings.
func PathSpellings(path string, workdir *string) []string {
	if path == "" {
		return nil
	}
	raw := strings.ReplaceAll(path, "\\", "/")
	directory := ""
	if workdir != nil {
		directory = strings.ReplaceAll(GoTrim(*workdir), "\\", "/")
	}
	relative := !strings.HasPrefix(raw, "/")
	var first string
	if directory != "" && relative {
		first = joinPath(directory, raw)
	} else {
		first = CleanPath(raw)
	}
	spellings := []string{first}
	resolved := first
	if strings.HasPrefix(first, "/") {
		resolved = ResolveHostSymlinks(first)
	}
	if resolved != first {
		spellings = append(spellings, resolved)
	}
	if directory != "" && relative {
		second := CleanPath(raw)
		dup := false
		for _, s := range spellings {
			if s == second {
				dup = true
			}
		}
		if !dup {
			spellings = append(spellings, second)
		}
	}
	return spellings
}

// WorkdirRest is callfields.workdir_rest (ok false: None).
func WorkdirRest(spelling string, workdir *string) (string, bool) {
	if workdir == nil || *workdir == "" || !strings.HasPrefix(spelling, "/") {
		return "", false
	}
	directory := strings.ReplaceAll(GoTrim(*workdir), "\\", "/")
	if !strings.HasPrefix(directory, "/") {
		return "", false
	}
	directory = CleanPath(directory)
	if directory == "/" {
		return spelling[1:], true
	}
	if strings.HasPrefix(spelling, directory+"/") {
		return spelling[len(directory)+1:], true
	}
	return "", false
}

// JoinedSpelling is callfields.joined_spelling (ok false: None).
func JoinedSpelling(spelling string, workdir *string) (string, bool) {
	if workdir == nil || *workdir == "" || GoTrim(*workdir) == "" || strings.HasPrefix(spelling, "/") {
		return "", false
	}
	return joinPath(strings.ReplaceAll(GoTrim(*workdir), "\\", "/"), spelling), true
}

// ------------------------------------------------------------------ urls

const hexChars = "0123456789abcdefABCDEF"

func isHex(c byte) bool { return strings.IndexByte(hexChars, c) >= 0 }

func isAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func escapesOK(text string) bool {
	index := strings.IndexByte(text, '%')
	for index >= 0 {
		if index+2 >= len(text) || !isHex(text[index+1]) || !isHex(text[index+2]) {
			return false
		}
		next := strings.IndexByte(text[index+3:], '%')
		if next < 0 {
			return true
		}
		index = index + 3 + next
	}
	return true
}

func portOK(port string) bool {
	if port == "" {
		return true
	}
	if !strings.HasPrefix(port, ":") {
		return false
	}
	for i := 1; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	return true
}

const hostOK = "!$&'()*+,;=:[]<>\"-_.~"
const userinfoOK = "-._:~!$&'()*+,;=%@"

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func unescapeHost(host string) (string, bool) {
	out := make([]byte, 0, len(host))
	for index := 0; index < len(host); {
		c := host[index]
		if c == '%' {
			if index+2 >= len(host) || !isHex(host[index+1]) || !isHex(host[index+2]) {
				return "", false
			}
			if unhex(host[index+1]) < 8 && host[index:index+3] != "%25" {
				return "", false
			}
			out = append(out, unhex(host[index+1])<<4|unhex(host[index+2]))
			index += 3
			continue
		}
		if c < 0x80 && !isAlnum(c) && strings.IndexByte(hostOK, c) < 0 {
			return "", false
		}
		out = append(out, c)
		index++
	}
	return pyDecodeReplace(out), true
}

// pyDecodeReplace is bytes.decode("utf-8", "replace"): each maximal
// invalid subpart becomes one U+FFFD.
func pyDecodeReplace(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || size > 1 {
			sb.Write(b[i : i+size])
			i += size
			continue
		}
		sb.WriteRune(utf8.RuneError)
		i += invalidSubpart(b[i:])
	}
	return sb.String()
}

// invalidSubpart is the length of the maximal invalid subpart at b[0].
func invalidSubpart(b []byte) int {
	c := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(b); k++ {
		x := b[n]
		if k == 0 {
			if x < lo || x > hi {
				break
			}
		} else if x < 0x80 || x > 0xBF {
			break
		}
		n++
	}
	return n
}

func hostOfAuthority(authority string) (string, bool) {
	host := authority
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		userinfo := authority[:at]
		for i := 0; i < len(userinfo); i++ {
			c := userinfo[i]
			if !(isAlnum(c) || strings.IndexByte(userinfoOK, c) >= 0) {
				return "", false
			}
		}
		if !escapesOK(userinfo) {
			return "", false
		}
		host = authority[at+1:]
	}
	if strings.HasPrefix(host, "[") {
		close := strings.LastIndexByte(host, ']')
		if close < 0 || !portOK(host[close+1:]) {
			return "", false
		}
	} else if colon := strings.LastIndexByte(host, ':'); colon >= 0 && !portOK(host[colon:]) {
		return "", false
	}
	return unescapeHost(host)
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// DomainOf is callfields.domain_of ("" for None).
func DomainOf(url string) string {
	for i := 0; i < len(url); i++ {
		if url[i] < 0x20 || url[i] == 0x7F {
			return ""
		}
	}
	rest, fragment, _ := strings.Cut(url, "#")
	if !escapesOK(fragment) {
		return ""
	}
	scheme := ""
	for index := 0; index < len(rest); index++ {
		c := rest[index]
		if isAlpha(c) {
			continue
		}
		if (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' {
			if index == 0 {
				break
			}
			continue
		}
		if c == ':' {
			if index == 0 {
				return ""
			}
			scheme, rest = rest[:index], rest[index+1:]
		}
		break
	}
	if strings.HasSuffix(rest, "?") && strings.Count(rest, "?") == 1 {
		rest = rest[:len(rest)-1]
	} else {
		rest, _, _ = strings.Cut(rest, "?")
	}
	if !strings.HasPrefix(rest, "/") {
		if scheme != "" {
			return ""
		}
		head, _, _ := strings.Cut(rest, "/")
		if strings.IndexByte(head, ':') >= 0 {
			return ""
		}
	}
	host := ""
	if (scheme != "" || !strings.HasPrefix(rest, "///")) && strings.HasPrefix(rest, "//") {
		authority, tail, slash := strings.Cut(rest[2:], "/")
		h, ok := hostOfAuthority(authority)
		if !ok {
			return ""
		}
		host = h
		if slash {
			rest = "/" + tail
		} else {
			rest = ""
		}
	}
	if !escapesOK(rest) {
		return ""
	}
	if host == "" {
		return ""
	}
	if colon := strings.LastIndexByte(host, ':'); colon >= 0 && portOK(host[colon:]) {
		host = host[:colon]
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") && len(host) >= 2 {
		host = host[1 : len(host)-1]
	}
	return host
}

// NormalizeDomain is callfields.normalize_domain.
func NormalizeDomain(domain string) string {
	domain = canon.Lower(GoTrim(domain))
	return strings.TrimSuffix(domain, ".")
}

// ------------------------------------------------------------ tool calls

// pyInt is a Python int (agent_depth and its bounds).
type pyInt struct {
	small int64
	big   *big.Int
}

func intOf(v *Value) pyInt { return pyInt{v.I, v.Big} }

func (a pyInt) cmp(b pyInt) int {
	if a.big == nil && b.big == nil {
		switch {
		case a.small < b.small:
			return -1
		case a.small > b.small:
			return 1
		}
		return 0
	}
	x, y := a.big, b.big
	if x == nil {
		x = big.NewInt(a.small)
	}
	if y == nil {
		y = big.NewInt(b.small)
	}
	return x.Cmp(y)
}

// ToolCall is callfields.ToolCall.
type ToolCall struct {
	Tool     string
	Params   *Object
	Input    *Object // nil: None
	Agent    string
	Session  string
	Depth    pyInt
	Workdir  *string
	Response *string
}

// CallFromValue is ToolCall.from_mapping; the error is its ValueError.
func CallFromValue(data *Value) (*ToolCall, error) {
	if data.K != KObject {
		return nil, errors.New("a tool call must be a JSON object")
	}
	o := data.O
	tool, _ := o.Get("tool")
	if tool == nil || tool.K != KString || tool.S == "" {
		return nil, errors.New("`tool` must be a non-empty string")
	}
	call := &ToolCall{Tool: tool.S, Params: &Object{}}
	if params, _ := o.Get("params"); params.Truthy() {
		if params.K != KObject {
			return nil, errors.New("`params` must be an object")
		}
		call.Params = params.O
	}
	if inp, ok := o.Get("input"); ok && inp.K != KNull {
		if inp.K != KObject {
			return nil, errors.New("`input` must be an object")
		}
		call.Input = inp.O
	}
	if depth, _ := o.Get("agent_depth"); depth.Truthy() {
		if depth.K != KInt {
			return nil, errors.New("`agent_depth` must be an integer")
		}
		call.Depth = intOf(depth)
	}
	for _, key := range []string{"agent", "session", "workdir", "response"} {
		v, ok := o.Get(key)
		if !ok || v.K == KNull {
			continue
		}
		if v.K != KString {
			return nil, errors.New("`" + key + "` must be a string")
		}
		s := v.S
		switch key {
		case "agent":
			call.Agent = s
		case "session":
			call.Session = s
		case "workdir":
			call.Workdir = &s
		case "response":
			call.Response = &s
		}
	}
	return call, nil
}

// ambiguous is callfields.Ambiguous.
type ambiguous struct{ reason string }

func (a *ambiguous) Error() string { return a.reason }

var (
	workdirAliases  = []string{"workdir", "cwd"}
	domainAliases   = []string{"domain"}
	schemeAliases   = []string{"scheme"}
	commandOnly     = []string{"command"}
	urlOnly         = []string{"url"}
	pathAliasesNon  = pathAliases[:2]
	workdirOnly     = []string{"workdir"}
	cwdOnly         = []string{"cwd"}
	errNumberOutOfR = errors.New("number out of range")
)

func isPathTool(t string) bool {
	return t == "read" || t == "write" || t == "edit" || t == "mcp-destructive"
}

func isURLTool(t string) bool {
	return t == "fetch" || t == "http" || t == "web_fetch" || t == "browser"
}

func toolKey(tool string) string { return canon.Lower(GoTrim(tool)) }

func (c *ToolCall) sources() [2]*Object { return [2]*Object{c.Params, c.Input} }

func alias(call *ToolCall, aliases []string) (string, bool) {
	for _, src := range call.sources() {
		if src == nil {
			continue
		}
		for _, name := range aliases {
			if v, ok := src.Get(name); ok && v.K == KString && GoTrim(v.S) != "" {
				return v.S, true
			}
		}
	}
	return "", false
}

func validate(call *ToolCall, what string, aliases []string, initial *string) error {
	var first string
	have := false
	if initial != nil && GoTrim(*initial) != "" {
		first, have = GoTrim(*initial), true
	}
	conflict := false
	for _, src := range call.sources() {
		if src == nil {
			continue
		}
		for _, name := range aliases {
			v, ok := src.Get(name)
			if !ok || v.K == KNull {
				continue
			}
			if v.K != KString {
				return &ambiguous{what + " must be a string"}
			}
			if t := GoTrim(v.S); t != "" {
				if !have {
					first, have = t, true
				} else if t != first {
					conflict = true
				}
			}
		}
	}
	if conflict {
		return &ambiguous{"conflicting " + what + " aliases"}
	}
	return nil
}

func validateCall(call *ToolCall, tool string) error {
	if tool == "exec" {
		if err := validate(call, "command", commandAliases, nil); err != nil {
			return err
		}
	}
	if isPathTool(tool) {
		if err := validate(call, "path", pathAliases, nil); err != nil {
			return err
		}
	}
	if isURLTool(tool) {
		if err := validate(call, "url", urlAliases, nil); err != nil {
			return err
		}
	}
	if err := validate(call, "working directory", workdirAliases, call.Workdir); err != nil {
		return err
	}
	if err := validate(call, "domain", domainAliases, nil); err != nil {
		return err
	}
	return validate(call, "scheme", schemeAliases, nil)
}

// Fields is callfields.Fields (Has* false: None).
type Fields struct {
	Command, Path, URL, Domain  string
	HasCommand, HasPath, HasURL bool
	HasDomain                   bool
	Workdir                     *string
	workdir                     string
}

func fieldsOf(call *ToolCall) (*Fields, error) {
	f := &Fields{}
	return f, fillFields(call, f)
}

func fillFields(call *ToolCall, f *Fields) error {
	*f = Fields{}
	tool := toolKey(call.Tool)
	if err := validateCall(call, tool); err != nil {
		return err
	}
	cmdAliases, pAliases, uAliases := commandOnly, pathAliasesNon, urlOnly
	if tool == "exec" {
		cmdAliases = commandAliases
	}
	if isPathTool(tool) {
		pAliases = pathAliases
	}
	if isURLTool(tool) {
		uAliases = urlAliases
	}
	f.Command, f.HasCommand = alias(call, cmdAliases)
	f.Path, f.HasPath = alias(call, pAliases)
	f.URL, f.HasURL = alias(call, uAliases)
	if f.HasURL {
		f.Domain = DomainOf(f.URL)
		f.HasDomain = f.Domain != ""
	}
	if !f.HasDomain {
		f.Domain, f.HasDomain = alias(call, domainAliases)
	}
	if call.Workdir != nil && GoTrim(*call.Workdir) != "" {
		f.workdir = GoTrim(*call.Workdir)
	} else if v, ok := alias(call, workdirOnly); ok {
		f.workdir = GoTrim(v)
	} else if v, ok := alias(call, cwdOnly); ok {
		f.workdir = GoTrim(v)
	}
	if f.workdir != "" {
		f.Workdir = &f.workdir
	}
	return nil
}

// GoValueText is callfields.go_value_text; errNumberOutOfR for an integer
// no float64 holds.
func GoValueText(v *Value) (string, error) {
	switch v.K {
	case KNull:
		return "<nil>", nil
	case KBool:
		if v.B {
			return "true", nil
		}
		return "false", nil
	case KInt:
		if v.Big == nil {
			return strconv.FormatFloat(float64(v.I), 'g', -1, 64), nil
		}
		f, _ := new(big.Float).SetInt(v.Big).Float64()
		if math.IsInf(f, 0) {
			return "", errNumberOutOfR
		}
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	case KFloat:
		return strconv.FormatFloat(v.F, 'g', -1, 64), nil
	case KString:
		return v.S, nil
	case KArray:
		parts := make([]string, len(v.A))
		for i := range v.A {
			t, err := GoValueText(&v.A[i])
			if err != nil {
				return "", err
			}
			parts[i] = t
		}
		return "[" + strings.Join(parts, " ") + "]", nil
	}
	idx := make([]int, len(v.O.Keys))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v.O.Keys[idx[a]] < v.O.Keys[idx[b]] })
	parts := make([]string, len(idx))
	for n, i := range idx {
		t, err := GoValueText(&v.O.Vals[i])
		if err != nil {
			return "", err
		}
		parts[n] = v.O.Keys[i] + ":" + t
	}
	return "map[" + strings.Join(parts, " ") + "]", nil
}

// paramText is callfields.param_text (ok false: None).
func paramText(call *ToolCall, name string) (string, bool, error) {
	if call.Input == nil {
		return "", false, nil
	}
	v, ok := call.Input.Get(name)
	if !ok {
		return "", false, nil
	}
	t, err := GoValueText(v)
	return t, true, err
}

// overGlobLimit: over MaxGlobInputBytes UTF-8 bytes (a surrogate counts 3,
// as its WTF-8 form does).
func overGlobLimit(s string) bool { return len(s) > MaxGlobInputBytes }

// overlongField is callfields.overlong_field: the first field over the
// glob input limit and its size in bytes ("" when none).
func overlongField(call *ToolCall, f *Fields, paramNames []string) (string, int, error) {
	pairs := [...]struct {
		name string
		v    string
	}{{"agent", call.Agent}, {"session", call.Session}, {"tool", call.Tool}, {"command", f.Command},
		{"path", f.Path}, {"url", f.URL}, {"domain", f.Domain}}
	for _, p := range pairs {
		if p.v != "" && overGlobLimit(p.v) {
			return p.name, len(p.v), nil
		}
	}
	if call.Input == nil {
		return "", 0, nil
	}
	for _, name := range paramNames {
		if v, ok := call.Input.Get(name); ok {
			t, err := GoValueText(v)
			if err != nil {
				return "", 0, err
			}
			if overGlobLimit(t) {
				return "tool parameter " + name, len(t), nil
			}
		}
	}
	return "", 0, nil
}

// overResponseLimit is callfields.over_response_limit: a response longer than
// MaxResponseBytes is denied when a response rule is in scope, never
// scanned in part (engine.go EvaluateResponse).
func overResponseLimit(response string) bool { return len(response) > MaxResponseBytes }

// toRegexInput is matching._encode: lone surrogates become U+FFFD.
func toRegexInput(s string) string {
	if !HasSurrogate(s) {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); {
		cp, size, _ := decodeWTF8(s, i)
		if cp >= 0xD800 && cp <= 0xDFFF && size == 3 {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.WriteString(s[i : i+size])
		}
		i += size
	}
	return sb.String()
}
